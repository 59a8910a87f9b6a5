/**
 * `redrive` of the EventBridge DLQ against the local sandbox. The sandbox deploys no EventBridge
 * route, so these tests add the queue themselves and an outputs file that names it, as a stack with
 * the route (`eventBridgeBusName`) has it; the sandbox's own outputs file stands for a stack without.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import {
  type CliSandbox,
  cli,
  EVENTBRIDGE_ERROR_MESSAGE,
  putInEventBridgeDlq,
  startCliSandbox,
} from './support';

let sandbox: CliSandbox;
let queueUrl: string;
let dir: string;
/** The sandbox's outputs plus the EventBridge DLQ. */
let routeOutputs: string;

beforeAll(async () => {
  sandbox = await startCliSandbox();
  const { QueueUrl } = await sandbox.stack.sqs.send(
    new CreateQueueCommand({ QueueName: `eventbridge-dlq-${Date.now()}` }),
  );
  queueUrl = QueueUrl ?? '';
  const outputs = JSON.parse(readFileSync(sandbox.outputsFile, 'utf8'));
  dir = mkdtempSync(join(tmpdir(), 'aep-autoretry-eventbridge-'));
  routeOutputs = join(dir, 'outputs.json');
  writeFileSync(
    routeOutputs,
    JSON.stringify({
      ...outputs,
      resources: { ...outputs.resources, eventBridgeDeadLetterQueueUrl: queueUrl },
    }),
  );
});

beforeEach(async () => {
  for (const url of [queueUrl, sandbox.stack.resources.alertsInboxUrl]) {
    await sandbox.stack.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }
  await sandbox.stack.outcomes();
});

afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI against the sandbox with the EventBridge DLQ. */
function runWithRoute(argv: readonly string[]) {
  return cli([...argv, '--local', routeOutputs]);
}

async function receiveAll(url: string) {
  const { Messages = [] } = await sandbox.stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 30,
    }),
  );
  return Messages;
}

async function depth(url: string): Promise<number> {
  const { Attributes } = await sandbox.stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

it('publishes EventBridge DLQ events to the alerts topic, and the retrier re-triggers their runs', async () => {
  // Prepare
  const { run } = await putInEventBridgeDlq(sandbox, queueUrl);

  // Act
  const result = await runWithRoute(['redrive', '--queue', 'eventbridge']);
  await sandbox.stack.deliver();
  const outcomes = await sandbox.stack.outcomes();

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('EventBridge DLQ: 1 message; 1 moved to the alerts topic, 0 left');
  expect(await depth(queueUrl)).toBe(0);
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
});

it('publishes the event as EventBridge left it, envelope and all, without its DLQ attributes', async () => {
  // Prepare
  const { body } = await putInEventBridgeDlq(sandbox, queueUrl);

  // Act
  const result = await runWithRoute(['redrive', '--queue', 'eventbridge', '--json']);

  // Assess
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: false, found: 1, moved: 1, skipped: 0 });
  const [delivered] = await receiveAll(sandbox.stack.resources.alertsInboxUrl);
  const notification = JSON.parse(delivered?.Body ?? '{}');
  expect(notification.Message).toBe(body);
  expect(JSON.parse(notification.Message)).toMatchObject({ 'detail-type': expect.any(String) });
  expect(notification.MessageAttributes).toBeUndefined();
});

it("counts and shows EventBridge DLQ events with EventBridge's error under --queue all --dry-run, and moves none", async () => {
  // Prepare
  const { run, flow } = await putInEventBridgeDlq(sandbox, queueUrl);

  // Act
  const result = await runWithRoute(['redrive', '--dry-run']);

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    'EventBridge DLQ: 1 message; 1 would be moved to the alerts topic (dry run)',
  );
  expect(result.stdout).toContain(
    `alert for run ${run.id} (dataflow ${flow.id}); EventBridge said: ${EVENTBRIDGE_ERROR_MESSAGE} (NO_PERMISSIONS)`,
  );
  expect(result.stdout).toContain('Total: 1 found, 1 would be moved (dry run: nothing moved)');
  expect(await depth(queueUrl)).toBe(1);
  expect(await depth(sandbox.stack.resources.alertsInboxUrl)).toBe(0);
  // Released at once: a second look sees the same message.
  expect(await receiveAll(queueUrl)).toHaveLength(1);
});

it('leaves a message that is not a JSON event in the EventBridge DLQ', async () => {
  // Prepare
  await sandbox.stack.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not json' }));

  // Act
  const result = await runWithRoute(['redrive', '--queue', 'eventbridge', '--json']);

  // Assess
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ found: 1, moved: 0, skipped: 1 });
  const left = await receiveAll(queueUrl);
  expect(left.map((message) => message.Body)).toEqual(['not json']);
});

it('rejects --queue eventbridge naming the eventBridgeBusName context when the target has no such queue', async () => {
  // Act
  const result = await sandbox.run(['redrive', '--queue', 'eventbridge']);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--queue eventbridge: the local sandbox has no EventBridge DLQ');
  expect(result.stderr).toContain('deployed with the eventBridgeBusName context');
});

it('leaves the EventBridge DLQ out of --queue all when the target has none', async () => {
  // Act
  const result = await sandbox.run(['redrive', '--dry-run', '--json']);

  // Assess
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout).queues.map((report: { queue: string }) => report.queue)).toEqual([
    'subscription',
    'on-failure',
    'retry',
  ]);
});
