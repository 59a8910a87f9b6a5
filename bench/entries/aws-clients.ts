/**
 * A breakdown point of the cold-import benchmark: the four SDK clients the retrier needs (Secrets
 * Manager, SNS, DynamoDB for the ledger, SQS for the delay queue) and nothing else. Between the
 * SDK-only baseline and the retrier, it shows how much of the difference is the AWS surface and how
 * much the retrier's own code and libraries.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const secrets = new SecretsManagerClient({});
const sns = new SNSClient({});
const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});

/** One call of each client. */
export async function handler(event: {
  secretId: string;
  topicArn: string;
  tableName: string;
  queueUrl: string;
}): Promise<void> {
  await secrets.send(new GetSecretValueCommand({ SecretId: event.secretId }));
  await sns.send(new PublishCommand({ TopicArn: event.topicArn, Message: 'done' }));
  await dynamodb.send(new GetItemCommand({ TableName: event.tableName, Key: { pk: { S: 'x' } } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: event.queueUrl, MessageBody: 'done' }));
}
