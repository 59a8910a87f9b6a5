/**
 * The retrier's own adapters, built over the target's resources: the CLI talks to the ledger,
 * Secrets Manager, Flow Service, SNS and SQS exactly as the Lambda does.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDelayQueue } from '../lambda/adapters/delay-queue';
import { createFlowService } from '../lambda/adapters/flow-service';
import { createTokenProvider } from '../lambda/adapters/ims';
import { createLedger } from '../lambda/adapters/ledger';
import { createOutcomePublisher } from '../lambda/adapters/outcomes';
import { createCredentialsProvider } from '../lambda/adapters/secrets';
import type {
  CredentialsPort,
  DelayQueuePort,
  FlowServicePort,
  LedgerPort,
  OutcomePort,
} from '../lambda/core/ports';
import { createRetrier, type Retrier } from '../lambda/core/retrier';
import type { Target } from './target';

/** The adapters and clients of one CLI run; `close()` when done. */
export interface Services {
  readonly target: Target;
  readonly ledger: LedgerPort;
  readonly credentials: CredentialsPort;
  readonly flowService: FlowServicePort;
  readonly outcomes: OutcomePort;
  readonly delayQueue: DelayQueuePort;
  /** The retrier over these adapters, with the function's policy and dry-run setting. */
  readonly retrier: Retrier;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  close(): void;
}

/** Builds the adapters for a target. Nothing is called until a command uses them. */
export function connect(target: Target): Services {
  const { config, resources } = target;
  const aws = { ...target.aws };
  const dynamodb = new DynamoDBClient(aws);
  const secrets = new SecretsManagerClient(aws);
  const sns = new SNSClient(aws);
  const sqs = new SQSClient(aws);
  // One read per CLI run is enough; rotation does not matter within a command.
  const credentials = createCredentialsProvider({ client: secrets, secretId: resources.credentialsSecretId });
  const flowService = createFlowService({
    baseUrl: config.flowServiceUrl,
    credentials,
    tokens: createTokenProvider({ tokenUrl: config.imsTokenUrl }),
  });
  const ledger = createLedger({
    client: dynamodb,
    tableName: resources.ledgerTableName,
    ttlDays: config.ledgerTtlDays,
  });
  const outcomes = createOutcomePublisher({ client: sns, topicArn: config.outcomeTopicArn });
  const delayQueue = createDelayQueue({ client: sqs, queueUrl: config.retryQueueUrl });
  const retrier = createRetrier({
    flowService,
    credentials,
    ledger,
    outcomes,
    delayQueue,
    policy: config.retryPolicy,
    dryRun: config.dryRun,
    clock: { now: () => Date.now() },
    random: Math.random,
  });
  return {
    target,
    ledger,
    credentials,
    flowService,
    outcomes,
    delayQueue,
    retrier,
    sns,
    sqs,
    close() {
      for (const client of [dynamodb, secrets, sns, sqs]) client.destroy();
    },
  };
}
