/**
 * Creates, in moto_server, the AWS resources the stack would create: the alerts and outcomes
 * topics, the credential secret, the ledger table, the delay queue and the dead-letter queues.
 * Because moto cannot run a Lambda, two extra SQS "inboxes" are subscribed to the topics: the
 * local delivery loop reads alerts from one (as SNS would hand them to the function) and
 * outcomes from the other.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RETRIER_ENV } from '../contracts/environment';
import type { RetryPolicyInput } from '../contracts/retry-policy';

/** A credential as stored in the secret. */
export interface SecretCredential {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  readonly scopes: string | readonly string[];
}

/** What {@link provision} created. */
export interface LocalResources {
  readonly prefix: string;
  readonly alertsTopicArn: string;
  readonly outcomesTopicArn: string;
  readonly credentialsSecretId: string;
  readonly ledgerTableName: string;
  readonly retryQueueUrl: string;
  readonly retryDeadLetterQueueUrl: string;
  readonly subscriptionDeadLetterQueueUrl: string;
  readonly onFailureQueueUrl: string;
  /** SQS queue subscribed to the alerts topic: the stand-in for SNS invoking the function. */
  readonly alertsInboxUrl: string;
  /** SQS queue subscribed to the outcomes topic: where the sandbox and tests read outcomes. */
  readonly outcomesInboxUrl: string;
}

/** The AWS clients used against moto; all use the SDK's default endpoint resolution. */
export interface LocalClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly secrets: SecretsManagerClient;
}

/** Clients for moto (or AWS): endpoint and region come from the environment (`AWS_ENDPOINT_URL`). */
export function localClients(): LocalClients {
  return {
    sns: new SNSClient({}),
    sqs: new SQSClient({}),
    dynamodb: new DynamoDBClient({}),
    secrets: new SecretsManagerClient({}),
  };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`moto did not return a URL for queue ${name}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`moto did not return an ARN for queue ${name}`);
  return { url: QueueUrl, arn };
}

async function createTopic(sns: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  if (!TopicArn) throw new Error(`moto did not return an ARN for topic ${name}`);
  return TopicArn;
}

/** Creates the ledger table (partition key `pk`, on-demand, TTL on `expiresAt`). */
export async function createLedgerTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
}

/**
 * Creates the stack's resources in moto under a name prefix (tests give each file its own).
 * @param credentials the secret's value: one credential or several (one per org)
 */
export async function provision(options: {
  readonly prefix: string;
  readonly credentials: SecretCredential | readonly SecretCredential[];
  readonly clients?: LocalClients;
}): Promise<LocalResources> {
  const { prefix } = options;
  const clients = options.clients ?? localClients();
  const { sns, sqs, dynamodb, secrets } = clients;

  const alertsTopicArn = await createTopic(sns, `${prefix}-alerts`);
  const outcomesTopicArn = await createTopic(sns, `${prefix}-outcomes`);
  const retryDlq = await createQueue(sqs, `${prefix}-retry-dlq`);
  const retryQueue = await createQueue(sqs, `${prefix}-retry`, {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: retryDlq.arn, maxReceiveCount: '5' }),
  });
  const subscriptionDlq = await createQueue(sqs, `${prefix}-subscription-dlq`);
  const onFailure = await createQueue(sqs, `${prefix}-on-failure`);
  const alertsInbox = await createQueue(sqs, `${prefix}-alerts-inbox`);
  const outcomesInbox = await createQueue(sqs, `${prefix}-outcomes-inbox`);
  await sns.send(
    new SubscribeCommand({ TopicArn: alertsTopicArn, Protocol: 'sqs', Endpoint: alertsInbox.arn }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: outcomesTopicArn, Protocol: 'sqs', Endpoint: outcomesInbox.arn }),
  );

  const ledgerTableName = `${prefix}-ledger`;
  await createLedgerTable(dynamodb, ledgerTableName);

  const secretName = `${prefix}/credentials`;
  const created = await secrets.send(
    new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify(options.credentials) }),
  );

  return {
    prefix,
    alertsTopicArn,
    outcomesTopicArn,
    credentialsSecretId: created.ARN ?? secretName,
    ledgerTableName,
    retryQueueUrl: retryQueue.url,
    retryDeadLetterQueueUrl: retryDlq.url,
    subscriptionDeadLetterQueueUrl: subscriptionDlq.url,
    onFailureQueueUrl: onFailure.url,
    alertsInboxUrl: alertsInbox.url,
    outcomesInboxUrl: outcomesInbox.url,
  };
}

/** The retrier's environment for local resources, as the stack would set it. */
export function retrierEnvironment(
  resources: LocalResources,
  adobe: { readonly flowServiceUrl: string; readonly imsTokenUrl: string },
  options: { readonly retryPolicy?: RetryPolicyInput; readonly dryRun?: boolean } = {},
): Record<string, string> {
  return {
    [RETRIER_ENV.flowServiceUrl]: adobe.flowServiceUrl,
    [RETRIER_ENV.imsTokenUrl]: adobe.imsTokenUrl,
    [RETRIER_ENV.credentialsSecretId]: resources.credentialsSecretId,
    [RETRIER_ENV.outcomeTopicArn]: resources.outcomesTopicArn,
    [RETRIER_ENV.ledgerTableName]: resources.ledgerTableName,
    [RETRIER_ENV.retryQueueUrl]: resources.retryQueueUrl,
    [RETRIER_ENV.retryPolicy]: JSON.stringify(options.retryPolicy ?? {}),
    [RETRIER_ENV.dryRun]: String(options.dryRun ?? false),
    POWERTOOLS_SERVICE_NAME: 'aep-dataflow-autoretry',
    POWERTOOLS_METRICS_NAMESPACE: 'AepDataflowAutoRetry',
  };
}
