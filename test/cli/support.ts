/**
 * A local sandbox for the CLI tests: a local stack (the emulator, the resources in the moto_server
 * of the global setup, the real retrier bundle) and its outputs file, written as
 * `npm start -- --keep` writes it, so `--local <file>` finds it. Commands run in process through
 * `runCli`, with their output captured.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { runCli } from '../../cli/main';
import type { RetryPolicyInput } from '../../contracts/retry-policy';
import { type AlertPayload, failureAlertFor, inEventBridge } from '../../emulator/alerts';
import type { FlowObject, RunInput, RunObject } from '../../emulator/types';
import type { SecretCredential } from '../../sandbox/provision';
import { type LocalStack, startLocalStack, writeSandboxOutputs } from '../../sandbox/session';
import { bundlePath, captureOutput, jestLoader } from '../support/local-world';

/** The org of the sandbox's credential. */
export const CLI_ORG_ID = 'C1C2C3C4C5C6C7C8C9C0C1C2@AdobeOrg';

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in process with captured output. */
export async function cli(
  argv: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? { USER: 'tester' },
    cwd: options.cwd ?? process.cwd(),
    isTTY: false,
  });
  return { code, stdout, stderr };
}

/** A running sandbox for the CLI. */
export interface CliSandbox {
  readonly stack: LocalStack;
  /** The outputs file `--local` reads. */
  readonly outputsFile: string;
  readonly credentials: readonly SecretCredential[];
  /** Runs the CLI against this sandbox (`--local <file>` appended). */
  run(argv: readonly string[], options?: { env?: Record<string, string> }): Promise<CliRun>;
  /** Adds an enabled batch flow in sandbox `prod`. */
  addFlow(overrides?: Partial<Parameters<LocalStack['emulator']['state']['addFlow']>[0]>): FlowObject;
  /** Adds a failed run of a flow and returns the alert Adobe would send about it. */
  failedRun(flow: FlowObject, input?: Partial<RunInput>): { run: RunObject; alert: AlertPayload };
  close(): Promise<void>;
}

/** Starts a sandbox: the stack, its outputs file, and stdout captured (the function's log lines). */
export async function startCliSandbox(
  options: { policy?: RetryPolicyInput; credentials?: readonly SecretCredential[] } = {},
): Promise<CliSandbox> {
  const stdout = captureOutput();
  const prefix = `cli-${randomUUID().slice(0, 8)}`;
  const credentials = options.credentials ?? [
    {
      clientId: `client-${prefix}`,
      clientSecret: `p8e-${randomUUID()}`,
      orgId: CLI_ORG_ID,
      scopes: 'openid,AdobeID,read_organizations',
    },
  ];
  const stack = await startLocalStack({
    credentials: credentials.length === 1 && credentials[0] ? credentials[0] : credentials,
    startMoto: false,
    prefix,
    policy: options.policy ?? { maxAttempts: 3, delaysSeconds: [0], jitterRatio: 0 },
    bundleFile: bundlePath('retrier'),
    loader: jestLoader,
  });
  const dir = mkdtempSync(join(tmpdir(), 'aep-autoretry-cli-'));
  const outputsFile = join(dir, 'outputs.json');
  writeSandboxOutputs(stack, outputsFile);
  let flows = 0;
  return {
    stack,
    outputsFile,
    credentials,
    run: (argv, runOptions = {}) => cli([...argv, '--local', outputsFile], runOptions),
    addFlow(overrides = {}) {
      flows++;
      return stack.emulator.state.addFlow({
        name: `Dataflow ${flows} - orders.csv`,
        sandboxName: 'prod',
        orgId: credentials[0]?.orgId ?? CLI_ORG_ID,
        ...overrides,
      });
    },
    failedRun(flow, input = {}) {
      const run = stack.emulator.state.addRun({ flowId: flow.id, status: 'failed', ...input });
      return { run, alert: failureAlertFor(run, flow) };
    },
    async close() {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
      stdout.restore();
    },
  };
}

/** The reason the EventBridge DLQ messages of {@link putInEventBridgeDlq} give, shaped like SNS's AuthorizationError. */
export const EVENTBRIDGE_ERROR_MESSAGE =
  'User: arn:aws:sts::123456789012:assumed-role/AepDataflowAutoRetry-EventBridgeDeliveryRole/8f1c0b7e is not authorized to perform: SNS:Publish on resource: the alerts topic';

/**
 * What EventBridge puts in the EventBridge DLQ when it cannot publish an Adobe event to the alerts
 * topic: the event (an EventBridge envelope of a failure alert) as the body, with the attributes the
 * EventBridge User Guide lists ("Using dead-letter queues to process undelivered events").
 */
export async function putInEventBridgeDlq(
  sandbox: CliSandbox,
  queueUrl: string,
): Promise<{ run: RunObject; flow: FlowObject; body: string }> {
  const flow = sandbox.addFlow();
  const { run, alert } = sandbox.failedRun(flow);
  const body = JSON.stringify(inEventBridge(alert));
  const bus = 'aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f';
  const attributes = {
    RULE_ARN: `arn:aws:events:us-east-1:123456789012:rule/${bus}/AepDataflowAutoRetry-AutoRetryAdobeFailureAlertsRule1A2B3C4D-5E6F7A8B9C0D`,
    TARGET_ARN: sandbox.stack.resources.alertsTopicArn,
    ERROR_CODE: 'NO_PERMISSIONS',
    ERROR_MESSAGE: EVENTBRIDGE_ERROR_MESSAGE,
  };
  await sandbox.stack.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      ),
    }),
  );
  return { run, flow, body };
}
