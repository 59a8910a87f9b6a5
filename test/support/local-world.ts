/**
 * An integration "world": moto_server (started by the global setup), the Flow Service emulator,
 * the stack's resources provisioned in moto, and the real retrier bundle loaded as a Lambda
 * container. Everything talks over loopback with the real SDK clients and a real HTTP server.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { OutcomeMessage } from '../../contracts/outcome';
import type { RetryPolicyInput } from '../../contracts/retry-policy';
import { type AlertPayload, failureAlertFor } from '../../emulator/alerts';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server';
import type { FlowObject, RunInput, RunObject } from '../../emulator/types';
import { deliverUntilIdle, drainOutcomes } from '../../sandbox/delivery';
import { type LambdaHandler, loadHandler, type ModuleLoader } from '../../sandbox/local-lambda';
import {
  type LocalResources,
  provision,
  retrierEnvironment,
  type SecretCredential,
} from '../../sandbox/provision';

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

/** A running world; `close()` it in `afterAll`/`afterEach`. */
export interface World {
  readonly emulator: Emulator;
  readonly resources: LocalResources;
  readonly credential: SecretCredential & { readonly scopes: string };
  readonly env: Record<string, string>;
  /** The first container of the retrier; `newContainer()` starts another (a cold start). */
  readonly handler: LambdaHandler;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  newContainer(envOverrides?: Record<string, string>): LambdaHandler;
  /** Adds an enabled batch flow in sandbox `prod`. */
  addFlow(overrides?: Partial<Parameters<Emulator['state']['addFlow']>[0]>): FlowObject;
  /** Adds a failed run of a flow and returns the failure alert Adobe would send. */
  failedRun(flow: FlowObject, input?: Partial<RunInput>): { run: RunObject; alert: AlertPayload };
  /** Publishes an alert to the alerts topic, as Adobe's route would. */
  publishAlert(alert: unknown, attributes?: Record<string, string>): Promise<void>;
  /** Delivers everything waiting to the retrier, as SNS and SQS would. */
  deliver(options?: {
    handler?: LambdaHandler;
    concurrency?: number;
    maxWaitMs?: number;
  }): ReturnType<typeof deliverUntilIdle>;
  /** Outcomes published since the last call. */
  outcomes(): Promise<OutcomeMessage[]>;
  /** Successful re-trigger POSTs the emulator served. */
  retriggers(): number;
  close(): Promise<void>;
}

/** Starts a world with its own resource prefix, credential and emulator. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const prefix = `it-${randomUUID().slice(0, 8)}`;
  const emulator = await startEmulator(options.emulator);
  const credential = {
    clientId: `client-${prefix}`,
    clientSecret: `p8e-${randomUUID()}`,
    orgId: ORG_ID,
    scopes: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext',
  };
  emulator.state.addCredential({
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    orgId: ORG_ID,
  });
  const sqs = new SQSClient({});
  const sns = new SNSClient({});
  const resources = await provision({ prefix, credentials: credential });
  const env = {
    ...retrierEnvironment(resources, emulator, { retryPolicy: options.policy, dryRun: options.dryRun }),
    POWERTOOLS_METRICS_DISABLED: 'false',
    ...options.env,
  };
  const newContainer = (overrides: Record<string, string> = {}) =>
    loadHandler(bundlePath('retrier'), { ...env, ...overrides }, jestLoader);
  const handler = newContainer();
  let flows = 0;
  return {
    emulator,
    resources,
    credential,
    env,
    handler,
    sqs,
    sns,
    newContainer,
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
    async publishAlert(alert, attributes = {}) {
      await sns.send(
        new PublishCommand({
          TopicArn: resources.alertsTopicArn,
          Message: typeof alert === 'string' ? alert : JSON.stringify(alert),
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      );
    },
    deliver(deliverOptions = {}) {
      return deliverUntilIdle({
        sqs,
        resources,
        handler: deliverOptions.handler ?? handler,
        concurrency: deliverOptions.concurrency,
        maxWaitMs: deliverOptions.maxWaitMs ?? 5000,
      });
    },
    outcomes: () => drainOutcomes(sqs, resources),
    retriggers: () => emulator.state.stats().retriggers.total,
    close: () => emulator.close(),
  };
}

/** Captures what Powertools writes to stdout (JSON log lines, EMF metrics) while a test runs. */
export function captureStdout(): { lines: () => string[]; restore: () => void } {
  const original = process.stdout.write.bind(process.stdout);
  const captured: string[] = [];
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    captured.push(...text.split('\n').filter((line) => line.trim().length > 0));
    const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    lines: () => [...captured],
    restore: () => {
      process.stdout.write = original;
    },
  };
}
