/**
 * CDK app entry: reads CDK context (`-c name=value` or cdk.json), creates the stack and runs
 * cdk-nag's AWS Solutions checks. Works offline: no AWS credentials, lookups or Docker needed.
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RetryPolicyInput } from '../contracts/retry-policy';
import { AepDataflowAutoRetryStack } from '../lib/aep-dataflow-auto-retry-stack';

const app = new App();

function text(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function flag(name: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${name} must be true or false, got ${JSON.stringify(value)}`);
}

function integer(name: string): number | undefined {
  const value = text(name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`Context ${name} must be a whole number, got "${value}"`);
  return parsed;
}

/** `-c name=a,b` arrives as text; cdk.json may hold an array. */
function list(name: string): string[] | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

function minutes(name: string): Duration | undefined {
  const value = integer(name);
  return value === undefined ? undefined : Duration.minutes(value);
}

/** `-c retryPolicy='{"maxAttempts":2}'` arrives as text; cdk.json may hold an object. */
function retryPolicy(): RetryPolicyInput | undefined {
  const value: unknown = app.node.tryGetContext('retryPolicy');
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value as RetryPolicyInput;
  try {
    return JSON.parse(value) as RetryPolicyInput;
  } catch {
    throw new Error(`Context retryPolicy must be JSON such as '{"maxAttempts":2}', got ${value}`);
  }
}

// Each alert route is enabled by its first context key.
const webhookClientIds = list('webhookClientIds');
const eventBridgeBusName = text('eventBridgeBusName');
const sweepSandboxes = list('sweepSandboxes');

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new AepDataflowAutoRetryStack(app, text('stackName') ?? 'AepDataflowAutoRetry', {
  // Environment-agnostic unless the CLI resolved an account and region, so synth needs no credentials.
  env: account && region ? { account, region } : undefined,
  description: 'Re-triggers failed Adobe Experience Platform dataflow runs (aep-dataflow-autoretry)',
  alertsTopicArn: text('alertsTopicArn'),
  credentialsSecretName: text('credentialsSecretName'),
  credentialsSecretArn: text('credentialsSecretArn'),
  flowServiceUrl: text('flowServiceUrl'),
  imsTokenUrl: text('imsTokenUrl'),
  retryPolicy: retryPolicy(),
  dryRun: flag('dryRun'),
  alarmEmail: text('alarmEmail'),
  exhaustedAlarmThreshold: integer('exhaustedAlarmThreshold'),
  memorySize: integer('memorySize'),
  webhook: webhookClientIds ? { clientIds: webhookClientIds } : undefined,
  eventBridge: eventBridgeBusName ? { partnerEventBusName: eventBridgeBusName } : undefined,
  sweep: sweepSandboxes
    ? {
        sandboxes: sweepSandboxes,
        schedule: minutes('sweepScheduleMinutes'),
        lookback: minutes('sweepLookbackMinutes'),
        maxRunsPerSweep: integer('sweepMaxRuns'),
        maxPublishesPerSweep: integer('sweepMaxPublishes'),
      }
    : undefined,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
