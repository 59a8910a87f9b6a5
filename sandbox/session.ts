/**
 * A local stack: moto_server for the AWS side, the Flow Service + IMS emulator for Adobe's, the
 * stack's resources provisioned in moto, and the real retrier bundle loaded as a Lambda container.
 * The local sandbox (`npm start`), the operator CLI's local target and the benchmarks start one.
 */
import { writeFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { OutcomeMessage } from '../contracts/outcome';
import type { RetryPolicyInput } from '../contracts/retry-policy';
import { type Emulator, type EmulatorOptions, startEmulator } from '../emulator/server';
import { buildBundles } from '../scripts/build-bundles';
import { type DeliveryRound, deliverUntilIdle, drainOutcomes } from './delivery';
import { freshRequire, type LambdaHandler, loadHandler, type ModuleLoader } from './local-lambda';
import { type MotoServer, motoEnvironment, startMoto } from './moto';
import { type LocalResources, provision, retrierEnvironment, type SecretCredential } from './provision';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** The secret's value. */
  readonly credentials: SecretCredential | readonly SecretCredential[];
  /** Resource name prefix in moto. @default 'sandbox' */
  readonly prefix?: string;
  readonly policy?: RetryPolicyInput;
  readonly dryRun?: boolean;
  /** Start a moto_server; false when one already runs and `AWS_ENDPOINT_URL` points at it. @default true */
  readonly startMoto?: boolean;
  /** The retrier bundle; built into `dist/` when not given. */
  readonly bundleFile?: string;
  /** How a container's module is loaded. @default a fresh Node require */
  readonly loader?: ModuleLoader;
  /** Settings of the emulator (port, latency, ...). @default a free port, the emulator's defaults */
  readonly emulator?: EmulatorOptions;
  /** Extra environment for the function. */
  readonly env?: Record<string, string>;
}

/** A running local stack. */
export interface LocalStack {
  readonly moto?: MotoServer;
  /** `AWS_ENDPOINT_URL` of the moto_server in use. */
  readonly awsEndpoint: string;
  readonly emulator: Emulator;
  readonly resources: LocalResources;
  /** The function's environment. */
  readonly env: Record<string, string>;
  readonly handler: LambdaHandler;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  /** Starts another container of the function (a cold start). */
  newContainer(envOverrides?: Record<string, string>): LambdaHandler;
  /** Publishes an alert to the alerts topic (a string is sent as is). */
  publishAlert(alert: unknown, attributes?: Record<string, string>): Promise<void>;
  /**
   * Delivers waiting alerts and due delay-queue messages until idle; with `waitForDelays` (the
   * default) also until the delayed messages came due and were delivered, for at most `maxWaitMs`.
   */
  deliver(options?: DeliverOptions): Promise<DeliveryRound>;
  /** Outcomes published since the last call. */
  outcomes(): Promise<OutcomeMessage[]>;
  stop(): Promise<void>;
}

/** Options of {@link LocalStack.deliver}. */
export interface DeliverOptions {
  /** Alerts invoked at once, as concurrent containers would. @default 1 */
  readonly concurrency?: number;
  /** @default 30000 */
  readonly maxWaitMs?: number;
  /** @default the stack's first container */
  readonly handler?: LambdaHandler;
  /** Wait for delayed delay-queue messages to come due. @default true */
  readonly waitForDelays?: boolean;
}

/** Messages waiting on the delay queue, visible or still delayed. */
export async function pendingDelays(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Starts moto (unless told not to), the emulator, the resources and a container of the retrier. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const moto = options.startMoto === false ? undefined : await startMoto();
  if (moto) Object.assign(process.env, motoEnvironment(moto.endpoint));
  const awsEndpoint = process.env.AWS_ENDPOINT_URL ?? '';
  let emulator: Emulator | undefined;
  try {
    emulator = await startEmulator(options.emulator);
    for (const credential of [options.credentials].flat()) {
      emulator.state.addCredential({
        clientId: credential.clientId,
        clientSecret: credential.clientSecret,
        orgId: credential.orgId,
      });
    }
    const bundleFile = options.bundleFile ?? (await buildBundles(['retrier']))[0]?.file;
    if (!bundleFile) throw new Error('the retrier bundle was not built');
    const resources = await provision({
      prefix: options.prefix ?? 'sandbox',
      credentials: options.credentials,
    });
    const env = {
      ...retrierEnvironment(resources, emulator, { retryPolicy: options.policy, dryRun: options.dryRun }),
      ...(moto ? motoEnvironment(moto.endpoint) : {}),
      ...options.env,
    };
    const loader = options.loader ?? freshRequire;
    const newContainer = (overrides: Record<string, string> = {}) =>
      loadHandler(bundleFile, { ...env, ...overrides }, loader);
    const handler = newContainer();
    const sqs = new SQSClient({});
    const sns = new SNSClient({});
    const running = emulator;
    return {
      moto,
      awsEndpoint,
      emulator: running,
      resources,
      env,
      handler,
      sqs,
      sns,
      newContainer,
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
          maxWaitMs: deliverOptions.maxWaitMs ?? 30_000,
          pendingDelays:
            deliverOptions.waitForDelays === false
              ? undefined
              : () => pendingDelays(sqs, resources.retryQueueUrl),
        });
      },
      outcomes: () => drainOutcomes(sqs, resources),
      async stop() {
        sqs.destroy();
        sns.destroy();
        await running.close();
        await moto?.stop();
      },
    };
  } catch (error) {
    await emulator?.close();
    await moto?.stop();
    throw error;
  }
}

/**
 * Writes what the operator CLI's `--local` target reads to find a running local stack
 * (`cli/target.ts`): the endpoints, the resources and the function's environment.
 */
export function writeSandboxOutputs(stack: LocalStack, file: string): void {
  const outputs = {
    pid: process.pid,
    awsEndpoint: stack.awsEndpoint,
    flowServiceUrl: stack.emulator.flowServiceUrl,
    imsTokenUrl: stack.emulator.imsTokenUrl,
    emulatorUrl: stack.emulator.url,
    resources: stack.resources,
    env: stack.env,
  };
  writeFileSync(file, `${JSON.stringify(outputs, null, 2)}\n`);
}
