/**
 * What the CLI acts on: a deployed stack (its outputs from CloudFormation, the retrier's
 * environment from Lambda) or the local sandbox of `npm start -- --keep` (its outputs file).
 * Either way the function's own environment is the configuration, read by the retrier's
 * `loadConfig`, so the CLI and the Lambda cannot disagree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SWEEP_ENV } from '../contracts/environment';
import { loadConfig, type RetrierConfig } from '../lambda/retrier/config';
import { STACK_OUTPUTS, type StackOutputKey } from '../lib/aep-dataflow-auto-retry-stack';
import { CliError, explainAwsError } from './errors';

/** Where `npm start -- --keep` writes the running sandbox's outputs, relative to the project. */
export const DEFAULT_SANDBOX_OUTPUTS = '.sandbox/outputs.json';

/** The resources the CLI uses, by role. */
export interface TargetResources {
  readonly alertsTopicArn: string;
  readonly outcomesTopicArn: string;
  readonly credentialsSecretId: string;
  readonly ledgerTableName: string;
  readonly retryQueueUrl: string;
  readonly retryDeadLetterQueueUrl: string;
  readonly subscriptionDeadLetterQueueUrl: string;
  readonly onFailureQueueUrl: string;
  /**
   * Where EventBridge parks Adobe events it could not publish to the alerts topic: only with the
   * EventBridge route (output `EventBridgeDeadLetterQueueUrl`). The local sandbox has none.
   */
  readonly eventBridgeDeadLetterQueueUrl?: string;
}

/** Settings every AWS client of the CLI is built with. */
export interface AwsClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** A resolved target. */
export interface Target {
  readonly kind: 'stack' | 'local';
  /** The stack name, or the sandbox outputs file. */
  readonly name: string;
  readonly resources: TargetResources;
  /** The retrier's configuration, read from its environment. */
  readonly config: RetrierConfig;
  readonly aws: AwsClientConfig;
  /** The scheduled sweep's sandboxes (`SWEEP_SANDBOXES`), when the stack has the sweep function. */
  readonly sweepSandboxes?: readonly string[];
}

/** How the command line chose the target. */
export type TargetChoice =
  | { readonly kind: 'stack'; readonly stackName: string; readonly region?: string }
  | { readonly kind: 'local'; readonly file: string };

/** The shape `npm start -- --keep` writes (see `sandbox/main.ts`). */
interface SandboxOutputs {
  readonly pid?: number;
  readonly awsEndpoint?: string;
  readonly resources?: Partial<TargetResources>;
  readonly env?: Record<string, string>;
}

/** The resources every target has. */
const RESOURCE_KEYS: readonly Exclude<keyof TargetResources, 'eventBridgeDeadLetterQueueUrl'>[] = [
  'alertsTopicArn',
  'outcomesTopicArn',
  'credentialsSecretId',
  'ledgerTableName',
  'retryQueueUrl',
  'retryDeadLetterQueueUrl',
  'subscriptionDeadLetterQueueUrl',
  'onFailureQueueUrl',
];

/** moto accepts any credentials; these are the sandbox's. */
const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readConfig(env: Record<string, string | undefined>, where: string): RetrierConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    throw new CliError(`The retrier's environment in ${where} is not usable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Reads the running sandbox's outputs file.
 * @throws CliError when the file is missing or malformed, or its sandbox no longer runs
 */
export function localTarget(file: string, cwd: string): Target {
  const path = resolve(cwd, file);
  const start =
    'start the sandbox with "npm start -- --keep" (it writes this file), or target a deployed stack with --stack <name>';
  if (!existsSync(path)) throw new CliError(`No sandbox outputs at ${path}: ${start}`);
  let outputs: SandboxOutputs;
  try {
    outputs = JSON.parse(readFileSync(path, 'utf8')) as SandboxOutputs;
  } catch (error) {
    throw new CliError(`The sandbox outputs ${path} are not JSON: ${start}`, { cause: error });
  }
  if (typeof outputs.pid === 'number' && !isRunning(outputs.pid)) {
    throw new CliError(`The sandbox that wrote ${path} (pid ${outputs.pid}) is no longer running: ${start}`);
  }
  const resources = outputs.resources ?? {};
  const missing = RESOURCE_KEYS.filter((key) => typeof resources[key] !== 'string');
  if (!outputs.awsEndpoint || !outputs.env || missing.length > 0) {
    const absent = [
      ...(outputs.awsEndpoint ? [] : ['awsEndpoint']),
      ...(outputs.env ? [] : ['env']),
      ...missing,
    ];
    throw new CliError(`The sandbox outputs ${path} lack ${absent.join(', ')}: ${start}`);
  }
  // The sandbox deploys no EventBridge route, so its outputs name no EventBridge DLQ; an outputs
  // file that does name one (a test's) is taken at its word.
  const { eventBridgeDeadLetterQueueUrl, ...required } = resources;
  return {
    kind: 'local',
    name: path,
    resources: {
      ...(required as TargetResources),
      ...(typeof eventBridgeDeadLetterQueueUrl === 'string' ? { eventBridgeDeadLetterQueueUrl } : {}),
    },
    config: readConfig(outputs.env, path),
    aws: { endpoint: outputs.awsEndpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS },
  };
}

/**
 * Reads a deployed stack: its outputs (CloudFormation `DescribeStacks`) and the retrier's
 * environment (Lambda `GetFunctionConfiguration`).
 * @throws CliError when credentials or region are missing, the stack is not found or lacks outputs
 */
export async function stackTarget(stackName: string, region: string | undefined): Promise<Target> {
  const aws: AwsClientConfig = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(aws);
  const lambda = new LambdaClient(aws);
  try {
    let outputs: Map<string, string>;
    try {
      const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = answer.Stacks?.[0];
      if (!stack) throw new CliError(`Stack ${stackName} was not found`);
      outputs = new Map(
        (stack.Outputs ?? []).flatMap((output) =>
          output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue] as const] : [],
        ),
      );
    } catch (error) {
      if (/does not exist/i.test((error as Error).message)) {
        const where = region ?? (await cloudFormation.config.region().catch(() => 'the default region'));
        throw new CliError(
          `Stack ${stackName} was not found in ${where}: check --stack (cdk deploys "AepDataflowAutoRetry" unless told otherwise) and --region`,
          { cause: error },
        );
      }
      throw explainAwsError(error, `reading stack ${stackName}`);
    }
    const missing = STACK_OUTPUTS.filter((key) => key !== 'OpsTopicArn' && !outputs.has(key));
    if (missing.length > 0) {
      throw new CliError(
        `Stack ${stackName} has no output ${missing.join(', ')}: is it an aep-dataflow-autoretry stack, deployed from this version?`,
      );
    }
    const output = (key: StackOutputKey) => outputs.get(key) ?? '';
    const environmentOf = async (functionName: string): Promise<Record<string, string>> => {
      try {
        const answer = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
        return answer.Environment?.Variables ?? {};
      } catch (error) {
        throw explainAwsError(error, `reading the configuration of function ${functionName}`);
      }
    };
    const functionName = output('RetrierFunctionName');
    const config = readConfig(await environmentOf(functionName), `function ${functionName}`);
    // With the scheduled sweep deployed, a manual sweep covers the same sandboxes by default.
    const sweepFunctionName = outputs.get('SweepFunctionName');
    const sweepSandboxes = sweepFunctionName
      ? (await environmentOf(sweepFunctionName))[SWEEP_ENV.sandboxes]
          ?.split(',')
          .map((name) => name.trim().toLowerCase())
          .filter(Boolean)
      : undefined;
    const eventBridgeDeadLetterQueueUrl = outputs.get('EventBridgeDeadLetterQueueUrl');
    return {
      kind: 'stack',
      name: stackName,
      resources: {
        alertsTopicArn: output('AlertsTopicArn'),
        outcomesTopicArn: output('OutcomesTopicArn'),
        credentialsSecretId: config.credentialsSecretId,
        ledgerTableName: output('LedgerTableName'),
        retryQueueUrl: output('RetryQueueUrl'),
        retryDeadLetterQueueUrl: output('RetryDeadLetterQueueUrl'),
        subscriptionDeadLetterQueueUrl: output('SubscriptionDeadLetterQueueUrl'),
        onFailureQueueUrl: output('OnFailureQueueUrl'),
        // With the EventBridge route deployed (the eventBridgeBusName context) only.
        ...(eventBridgeDeadLetterQueueUrl ? { eventBridgeDeadLetterQueueUrl } : {}),
      },
      config,
      aws,
      ...(sweepSandboxes && sweepSandboxes.length > 0 ? { sweepSandboxes } : {}),
    };
  } finally {
    cloudFormation.destroy();
    lambda.destroy();
  }
}

/** Resolves the target the command line chose. */
export function resolveTarget(choice: TargetChoice, cwd: string): Promise<Target> {
  return choice.kind === 'local'
    ? Promise.resolve().then(() => localTarget(choice.file, cwd))
    : stackTarget(choice.stackName, choice.region);
}
