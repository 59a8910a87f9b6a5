/**
 * The deployed target (`--stack`): the stack's outputs from CloudFormation and the retrier's
 * environment from Lambda. moto_server plays both: a CloudFormation stack whose outputs name the
 * local resources and whose function carries the sandbox's environment.
 */
import { randomUUID } from 'node:crypto';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SWEEP_ENV } from '../../contracts/environment';
import type { OptionalStackOutputKey, StackOutputKey } from '../../lib/aep-dataflow-auto-retry-stack';
import { CLI_ORG_ID, type CliSandbox, cli, putInEventBridgeDlq, startCliSandbox } from './support';

const OTHER_ORG_ID = 'D1D2D3D4D5D6D7D8D9D0D1D2@AdobeOrg';

let sandbox: CliSandbox;
let stackName: string;
/** The EventBridge DLQ the stack's `EventBridgeDeadLetterQueueUrl` output names. */
let eventBridgeQueueUrl: string;
const cloudFormation = new CloudFormationClient({});

/** A Lambda function resource with an environment. */
function functionResource(env: Record<string, string>) {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['RetrierRole', 'Arn'] },
      Code: { ZipFile: 'exports.handler = async () => undefined;' },
      Environment: { Variables: env },
    },
  };
}

/**
 * Creates a CloudFormation stack in moto holding the retrier function with `env`, the given
 * outputs, and with `sweepEnv` a sweep function too.
 */
async function createStack(
  name: string,
  env: Record<string, string>,
  outputs: Partial<Record<StackOutputKey | OptionalStackOutputKey, string>>,
  sweepEnv?: Record<string, string>,
) {
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: name,
      Capabilities: ['CAPABILITY_IAM'],
      TemplateBody: JSON.stringify({
        Resources: {
          RetrierRole: {
            Type: 'AWS::IAM::Role',
            Properties: {
              AssumeRolePolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Principal: { Service: 'lambda.amazonaws.com' },
                    Action: 'sts:AssumeRole',
                  },
                ],
              },
            },
          },
          Retrier: functionResource(env),
          ...(sweepEnv ? { Sweep: functionResource(sweepEnv) } : {}),
        },
        Outputs: {
          ...Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
          RetrierFunctionName: { Value: { Ref: 'Retrier' } },
          ...(sweepEnv ? { SweepFunctionName: { Value: { Ref: 'Sweep' } } } : {}),
        },
      }),
    }),
  );
}

beforeAll(async () => {
  sandbox = await startCliSandbox({
    credentials: [CLI_ORG_ID, OTHER_ORG_ID].map((orgId, index) => ({
      clientId: `client-${index}-${randomUUID().slice(0, 8)}`,
      clientSecret: `p8e-${randomUUID()}`,
      orgId,
      scopes: 'openid,AdobeID',
    })),
  });
  stackName = `AepDataflowAutoRetry-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sandbox.stack.sqs.send(
    new CreateQueueCommand({ QueueName: `${stackName}-eventbridge-dlq` }),
  );
  eventBridgeQueueUrl = QueueUrl ?? '';
  await createStack(
    stackName,
    sandbox.stack.env,
    { ...requiredOutputs(), EventBridgeDeadLetterQueueUrl: eventBridgeQueueUrl },
    { [SWEEP_ENV.sandboxes]: 'dev,qa' },
  );
});

/** The outputs every stack of this app has (the function name comes from the template). */
function requiredOutputs(): Partial<Record<StackOutputKey, string>> {
  const { resources } = sandbox.stack;
  return {
    AlertsTopicArn: resources.alertsTopicArn,
    OutcomesTopicArn: resources.outcomesTopicArn,
    OpsTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
    CredentialsSecretArn: resources.credentialsSecretId,
    LedgerTableName: resources.ledgerTableName,
    RetryQueueUrl: resources.retryQueueUrl,
    RetryDeadLetterQueueUrl: resources.retryDeadLetterQueueUrl,
    SubscriptionDeadLetterQueueUrl: resources.subscriptionDeadLetterQueueUrl,
    OnFailureQueueUrl: resources.onFailureQueueUrl,
  };
}

afterAll(async () => {
  cloudFormation.destroy();
  await sandbox.close();
});

it('reads the stack outputs and the function environment, and re-triggers through them', async () => {
  // Prepare
  const flow = sandbox.addFlow();
  const { run } = sandbox.failedRun(flow);

  // Act
  const retry = await cli([
    'retry',
    run.id,
    '--sandbox',
    'prod',
    '--org',
    CLI_ORG_ID,
    '--stack',
    stackName,
    '--json',
  ]);
  const status = await cli(['status', run.id, '--json'], { env: { AEP_AUTORETRY_STACK: stackName } });

  // Assess
  expect(retry.stderr).toBe('');
  expect(retry.code).toBe(0);
  expect(JSON.parse(retry.stdout)).toMatchObject({ outcome: 'retriggered', runId: run.id });
  expect(JSON.parse(status.stdout).chain[0]).toMatchObject({ runId: run.id, outcome: 'retriggered' });
  expect(await sandbox.stack.outcomes()).toEqual([
    expect.objectContaining({ outcome: 'retriggered', runId: run.id }),
  ]);
});

it('fails listing the orgs when the secret holds several and --org is not given', async () => {
  // Prepare
  const flow = sandbox.addFlow();
  const { run } = sandbox.failedRun(flow);

  // Act
  const result = await cli(['retry', run.id, '--sandbox', 'prod', '--stack', stackName]);

  // Assess
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`holds 2 orgs; choose one with --org: ${CLI_ORG_ID}, ${OTHER_ORG_ID}`);
  expect(sandbox.stack.emulator.state.stats().retriggers.bySourceRun[run.id]).toBeUndefined();
});

it("sweeps the scheduled sweep function's sandboxes by default", async () => {
  // Prepare
  const flow = sandbox.addFlow({ sandboxName: 'dev' });
  const { run } = sandbox.failedRun(flow);

  // Act
  const result = await cli(['sweep', '--since', '1h', '--dry-run', '--json', '--stack', stackName]);

  // Assess
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.scopes.map((scope: { sandboxName: string }) => scope.sandboxName)).toEqual([
    'dev',
    'qa',
    'dev',
    'qa',
  ]);
  expect(report.published).toEqual([expect.objectContaining({ runId: run.id, sandboxName: 'dev' })]);
});

it('redrives the EventBridge DLQ its EventBridgeDeadLetterQueueUrl output names to the alerts topic', async () => {
  // Prepare
  const { body } = await putInEventBridgeDlq(sandbox, eventBridgeQueueUrl);

  // Act
  const result = await cli(['redrive', '--queue', 'eventbridge', '--json', '--stack', stackName]);

  // Assess
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({
    found: 1,
    moved: 1,
    queues: [{ queue: 'eventbridge', url: eventBridgeQueueUrl }],
  });
  const { Attributes } = await sandbox.stack.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: eventBridgeQueueUrl, AttributeNames: ['All'] }),
  );
  expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
  expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
  const { Messages = [] } = await sandbox.stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: sandbox.stack.resources.alertsInboxUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
    }),
  );
  expect(Messages.map((message) => JSON.parse(message.Body ?? '{}').Message)).toEqual([body]);
});

it('rejects --queue eventbridge naming the stack and the eventBridgeBusName context when the stack has no such output', async () => {
  // Prepare
  const name = `NoRoute-${randomUUID().slice(0, 8)}`;
  await createStack(name, sandbox.stack.env, requiredOutputs());

  // Act
  const result = await cli(['redrive', '--queue', 'eventbridge', '--stack', name]);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    `--queue eventbridge: stack ${name} has no EventBridge DLQ (no output EventBridgeDeadLetterQueueUrl)`,
  );
  expect(result.stderr).toContain('eventBridgeBusName');
});

it('fails naming the stack and region when the stack does not exist', async () => {
  // Act
  const result = await cli(['status', 'run-1', '--stack', 'NoSuchStack', '--region', 'us-east-1']);

  // Assess
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Stack NoSuchStack was not found in us-east-1');
});

it('fails naming the missing outputs of a stack that is not this app', async () => {
  // Prepare
  const name = `Other-${randomUUID().slice(0, 8)}`;
  await createStack(name, sandbox.stack.env, { AlertsTopicArn: sandbox.stack.resources.alertsTopicArn });

  // Act
  const result = await cli(['status', 'run-1', '--stack', name]);

  // Assess
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `Stack ${name} has no output OutcomesTopicArn, CredentialsSecretArn, LedgerTableName`,
  );
});
