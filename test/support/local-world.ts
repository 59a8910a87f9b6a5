/**
 * An integration "world": moto_server (started by the global setup), the Flow Service emulator,
 * the stack's resources provisioned in moto, and the real retrier bundle loaded as a Lambda
 * container. Everything talks over loopback with the real SDK clients and a real HTTP server.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import type { RetryPolicyInput } from '../../contracts/retry-policy';
import { type AlertPayload, failureAlertFor } from '../../emulator/alerts';
import type { Emulator, EmulatorOptions } from '../../emulator/server';
import type { FlowObject, RunInput, RunObject } from '../../emulator/types';
import { readRunItem } from '../../lambda/adapters/ledger';
import type { RunRecord } from '../../lambda/core/ports';
import { type DeliveryRound, deliverUntilIdle, snsRecordOf } from '../../sandbox/delivery';
import type { LambdaHandler, ModuleLoader, OnFailureRecord } from '../../sandbox/local-lambda';
import { MOTO_PROXY_STATS_PATH, type MotoProxyStats } from '../../sandbox/moto-proxy';
import { interceptOutput, linesOf } from '../../sandbox/output';
import type { SecretCredential } from '../../sandbox/provision';
import { type DeliverOptions, type LocalStack, pendingDelays, startLocalStack } from '../../sandbox/session';

/** The org of the world's credential. */
export const ORG_ID = 'A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg';

/** Loads a bundle as a fresh module inside jest's registry (a new Lambda container). */
export const jestLoader: ModuleLoader = (file) => {
  let loaded: { handler: LambdaHandler } | undefined;
  jest.isolateModules(() => {
    loaded = require(file) as { handler: LambdaHandler };
  });
  if (!loaded) throw new Error(`could not load ${file}`);
  return loaded;
};

/** Path of a bundle the global setup built. */
export function bundlePath(name: 'retrier' | string): string {
  const dir = process.env.TEST_BUNDLE_DIR;
  if (!dir)
    throw new Error(
      'TEST_BUNDLE_DIR is not set: run the tests through jest (its global setup builds bundles)',
    );
  return join(dir, name, 'index.js');
}

/** Options of {@link startWorld}. */
export interface WorldOptions {
  readonly policy?: RetryPolicyInput;
  readonly dryRun?: boolean;
  readonly emulator?: EmulatorOptions;
  readonly env?: Record<string, string>;
}

/**
 * A running world: a local stack (`sandbox/session.ts`) on the global setup's moto, plus helpers
 * to seed Adobe's side. `close()` it in `afterAll`/`afterEach`.
 */
export interface World extends Omit<LocalStack, 'deliver' | 'stop' | 'moto'> {
  readonly credential: SecretCredential & { readonly scopes: string };
  /** The first container of the retrier; `newContainer()` starts another (a cold start). */
  readonly handler: LambdaHandler;
  /** Adds an enabled batch flow in sandbox `prod`. */
  addFlow(overrides?: Partial<Parameters<Emulator['state']['addFlow']>[0]>): FlowObject;
  /** Adds a failed run of a flow and returns the failure alert Adobe would send. */
  failedRun(flow: FlowObject, input?: Partial<RunInput>): { run: RunObject; alert: AlertPayload };
  /**
   * Delivers everything waiting to the retrier, as SNS and SQS would, without waiting for delayed
   * re-triggers to come due (see {@link deliverUntilSettled}).
   */
  deliver(options?: Omit<DeliverOptions, 'waitForDelays'>): Promise<DeliveryRound>;
  /** Successful re-trigger POSTs the emulator served. */
  retriggers(): number;
  close(): Promise<void>;
}

/** Starts a world with its own resource prefix, credential and emulator. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const prefix = `it-${randomUUID().slice(0, 8)}`;
  const credential = {
    clientId: `client-${prefix}`,
    clientSecret: `p8e-${randomUUID()}`,
    orgId: ORG_ID,
    scopes: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext',
  };
  const stack = await startLocalStack({
    credentials: credential,
    prefix,
    policy: options.policy,
    dryRun: options.dryRun,
    startMoto: false,
    emulator: options.emulator,
    bundleFile: bundlePath('retrier'),
    loader: jestLoader,
    env: { POWERTOOLS_METRICS_DISABLED: 'false', ...options.env },
  });
  const { emulator } = stack;
  let flows = 0;
  return {
    ...stack,
    credential,
    addFlow(overrides = {}) {
      flows++;
      return emulator.state.addFlow({
        name: `Dataflow ${flows} - orders.csv`,
        sandboxName: 'prod',
        orgId: ORG_ID,
        ...overrides,
      });
    },
    failedRun(flow, input = {}) {
      const run = emulator.state.addRun({ flowId: flow.id, status: 'failed', ...input });
      return { run, alert: failureAlertFor(run, flow) };
    },
    deliver: (deliverOptions = {}) =>
      stack.deliver({ maxWaitMs: 5000, ...deliverOptions, waitForDelays: false }),
    retriggers: () => emulator.state.stats().retriggers.total,
    close: () => stack.stop(),
  };
}

/** Captures what the functions write to stdout and stderr (Powertools JSON lines, EMF metrics). */
export function captureOutput(): { lines: () => string[]; restore: () => void } {
  const captured: string[] = [];
  const restore = interceptOutput((text) => {
    captured.push(...linesOf(text));
    return 'swallow';
  });
  return { lines: () => [...captured], restore };
}

/** Messages on the world's delay queue that wait for their delay or are ready to be received. */
export function pendingRetries(world: World): Promise<number> {
  return pendingDelays(world.sqs, world.resources.retryQueueUrl);
}

/**
 * Like `world.deliver()`, but also waits for scheduled re-triggers on the delay queue to come due
 * and delivers them, until nothing is waiting or `maxWaitMs` (default 15 s) has passed. Check
 * {@link pendingRetries} afterwards to tell a settled world from a timed-out one.
 */
export function deliverUntilSettled(
  world: World,
  options: { handler?: LambdaHandler; concurrency?: number; maxWaitMs?: number } = {},
): Promise<DeliveryRound> {
  return deliverUntilIdle({
    sqs: world.sqs,
    resources: world.resources,
    handler: options.handler ?? world.handler,
    concurrency: options.concurrency,
    maxWaitMs: options.maxWaitMs ?? 15_000,
    pendingDelays: () => pendingRetries(world),
  });
}

/**
 * The SNS event Lambda would get for one alert published to the world's alerts topic, for tests
 * that invoke a handler directly. `attributes` become String message attributes.
 */
export function snsEventOf(world: World, alert: unknown, attributes: Record<string, string> = {}): SNSEvent {
  return {
    Records: [
      snsRecordOf({
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: world.resources.alertsTopicArn,
        Message: typeof alert === 'string' ? alert : JSON.stringify(alert),
        Timestamp: new Date().toISOString(),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [name, { Type: 'String', Value: value }]),
        ),
      }),
    ],
  };
}

const ledgerClient = new DynamoDBClient({});
const runKey = (runId: string): Record<string, AttributeValue> => ({ pk: { S: `RUN#${runId}` } });

/** The ledger item of a run (`pk = RUN#<runId>`), read consistently; undefined when there is none. */
export async function ledgerRecord(world: World, runId: string): Promise<RunRecord | undefined> {
  const { Item } = await ledgerClient.send(
    new GetItemCommand({
      TableName: world.resources.ledgerTableName,
      Key: runKey(runId),
      ConsistentRead: true,
    }),
  );
  return Item ? readRunItem(Item) : undefined;
}

/**
 * Moves the lease of a run's claim into the past, as if the invocation holding it had crashed
 * long enough ago; the next delivery may take the claim over.
 * @throws when the run has no ledger item
 */
export async function expireLease(world: World, runId: string): Promise<void> {
  await ledgerClient.send(
    new UpdateItemCommand({
      TableName: world.resources.ledgerTableName,
      Key: runKey(runId),
      UpdateExpression: 'SET #leaseUntil = :past',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#leaseUntil': 'leaseUntil', '#pk': 'pk' },
      ExpressionAttributeValues: { ':past': { N: String(Date.now() - 1000) } },
    }),
  );
}

/** Reads and removes the records Lambda sent to the world's on-failure queue. */
export async function drainOnFailure(world: World): Promise<OnFailureRecord[]> {
  const records: OnFailureRecord[] = [];
  for (;;) {
    const { Messages = [] } = await world.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: world.resources.onFailureQueueUrl, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return records;
    records.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}') as OnFailureRecord));
    await world.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: world.resources.onFailureQueueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
  }
}

/** One line the retrier logs per alert (`alert handled`, or `alert kept for retry`). */
export interface AlertLogLine {
  readonly message: 'alert handled' | 'alert kept for retry';
  readonly level?: string;
  readonly outcome: string;
  readonly runId?: string;
  readonly reason?: string;
  readonly newRunId?: string;
  readonly attempt?: number;
  readonly errorKind?: string;
  readonly [key: string]: unknown;
}

/** The per-alert log lines among captured stdout lines (Powertools JSON); other lines are skipped. */
export function alertLogLines(lines: readonly string[]): AlertLogLine[] {
  return lines.flatMap((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return [];
    }
    const message = (parsed as { message?: unknown } | null)?.message;
    return message === 'alert handled' || message === 'alert kept for retry' ? [parsed as AlertLogLine] : [];
  });
}

/** The counters of the moto front door (`sandbox/moto-proxy.ts`) the global setup started. */
export async function motoProxyStats(): Promise<MotoProxyStats> {
  const response = await fetch(`${process.env.AWS_ENDPOINT_URL}${MOTO_PROXY_STATS_PATH}`);
  return (await response.json()) as MotoProxyStats;
}
