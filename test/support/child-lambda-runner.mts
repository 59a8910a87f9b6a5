/**
 * One Lambda "container" in a process of its own, for tests that need separate processes (no
 * shared memory, no shared module state): plain Node 24 runs this file directly (types are
 * stripped), loads the CommonJS bundle given as the first argument with the environment it was
 * given (a cold start), says `ready` over the IPC channel, invokes the handler once when told
 * `invoke`, answers `result` and exits: 0 when the handler returned, 1 when it threw.
 *
 * Parent side: `child-lambda.ts`. Only Node built-ins are imported: this file is not bundled.
 */
import { createRequire } from 'node:module';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface InvokeMessage {
  readonly type: 'invoke';
  readonly event: unknown;
  readonly timeoutMs: number;
}

const send = process.send?.bind(process);
const bundle = process.argv[2];
if (!send || !bundle) {
  process.stderr.write('usage: node child-lambda-runner.mts <bundle.js> (spawned with an IPC channel)\n');
  process.exit(2);
}

let invoked = false;
// The parent went away (or killed the channel) before asking: nothing to do, leave nothing behind.
process.on('disconnect', () => {
  if (!invoked) process.exit(3);
});

const load = createRequire(import.meta.url);
const { handler } = load(bundle) as { handler: Handler };

function contextFor(timeoutMs: number): unknown {
  const deadline = Date.now() + timeoutMs;
  const requestId = `child-${process.pid}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'aep-dataflow-autoretry-retrier',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:aep-dataflow-autoretry-retrier',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/aep-dataflow-autoretry-retrier',
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

process.on('message', (message: InvokeMessage) => {
  if (message?.type !== 'invoke' || invoked) return;
  invoked = true;
  handler(message.event, contextFor(message.timeoutMs)).then(
    (response) => send?.({ type: 'result', ok: true, response }, () => process.exit(0)),
    (error: unknown) =>
      send?.(
        { type: 'result', ok: false, error: error instanceof Error ? error.message : String(error) },
        () => process.exit(1),
      ),
  );
});

send?.({ type: 'ready' });
