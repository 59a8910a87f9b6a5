/**
 * The retrier function: the composition root. Configuration, clients and adapters are built once
 * per container (cold start); each invocation hands its alerts to the retrier and turns results
 * into one log line, metrics, and — for alerts that must be kept — a thrown error (SNS, async
 * retries) or a batch item failure (the SQS delay queue).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SNSEvent, SNSEventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ALERT_ORIGIN_ATTRIBUTE, EVENT_ID_ATTRIBUTE } from '../../contracts/environment';
import { createDelayQueue } from '../adapters/delay-queue';
import { createFlowService } from '../adapters/flow-service';
import { createTokenProvider } from '../adapters/ims';
import { createLedger } from '../adapters/ledger';
import { createOutcomePublisher } from '../adapters/outcomes';
import { createCredentialsProvider } from '../adapters/secrets';
import { type AlertResult, createRetrier } from '../core/retrier';
import { createObservability } from '../shared/observability';
import { loadConfig } from './config';

/** Time kept back from the Lambda timeout for logging, metrics and giving a claim back. */
const SAFETY_MARGIN_MS = 3000;

const { logger, metrics } = createObservability(process.env);

const config = loadConfig(process.env);
const credentials = createCredentialsProvider({
  client: new SecretsManagerClient({}),
  secretId: config.credentialsSecretId,
  ttlMs: config.secretCacheSeconds * 1000,
});
const retrier = createRetrier({
  flowService: createFlowService({
    baseUrl: config.flowServiceUrl,
    credentials,
    tokens: createTokenProvider({ tokenUrl: config.imsTokenUrl }),
  }),
  credentials,
  ledger: createLedger({
    client: new DynamoDBClient({}),
    tableName: config.ledgerTableName,
    ttlDays: config.ledgerTtlDays,
  }),
  outcomes: createOutcomePublisher({ client: new SNSClient({}), topicArn: config.outcomeTopicArn }),
  delayQueue: createDelayQueue({ client: new SQSClient({}), queueUrl: config.retryQueueUrl }),
  policy: config.retryPolicy,
  dryRun: config.dryRun,
  clock: { now: () => Date.now() },
  random: Math.random,
});

function record(result: AlertResult, startedAt: number, transport: 'sns' | 'sqs'): void {
  const durationMs = Date.now() - startedAt;
  const line = {
    runId: result.runId,
    flowId: result.flowId,
    sandboxName: result.sandboxName,
    attempt: result.attempt,
    outcome: result.outcome,
    reason: result.reason,
    newRunId: result.newRunId,
    dueAt: result.dueAt === undefined ? undefined : new Date(result.dueAt).toISOString(),
    errorCodes: result.errorCodes,
    source: result.source,
    published: result.published,
    transport,
    durationMs,
  };
  if (result.retry) {
    metrics.addMetric('kept_for_retry', MetricUnit.Count, 1);
    logger.error({ message: 'alert kept for retry', ...line, errorKind: result.retry.kind }, result.retry);
    return;
  }
  metrics.addMetric(result.outcome, MetricUnit.Count, 1);
  if (result.outcome === 'retriggered')
    metrics.addMetric('retrigger_latency', MetricUnit.Milliseconds, durationMs);
  logger.info({ message: 'alert handled', ...line });
}

function deadlineOf(context: Context): number {
  return Date.now() + Math.max(context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS, 1000);
}

async function handleSns(records: SNSEventRecord[], context: Context): Promise<void> {
  const kept: Error[] = [];
  for (const { Sns } of records) {
    const startedAt = Date.now();
    const eventId = Sns.MessageAttributes?.[EVENT_ID_ATTRIBUTE]?.Value;
    const origin = Sns.MessageAttributes?.[ALERT_ORIGIN_ATTRIBUTE]?.Value;
    const result = await retrier.handleAlert(Sns.Message, { deadline: deadlineOf(context), eventId, origin });
    record(result, startedAt, 'sns');
    if (result.retry) kept.push(result.retry);
  }
  // Throwing makes Lambda retry the event and, once retries are spent, send it to the on-failure queue.
  if (kept.length === 1) throw kept[0];
  if (kept.length > 1) throw new AggregateError(kept, `${kept.length} alerts kept for retry`);
}

async function handleSqs(records: SQSRecord[], context: Context): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of records) {
    const startedAt = Date.now();
    const result = await retrier.handleDelayed(message.body, { deadline: deadlineOf(context) });
    record(result, startedAt, 'sqs');
    // The message becomes visible again after the visibility timeout; after 5 receives it goes to the DLQ.
    if (result.retry) batchItemFailures.push({ itemIdentifier: message.messageId });
  }
  return { batchItemFailures };
}

function isSqsEvent(event: SNSEvent | SQSEvent): event is SQSEvent {
  return event.Records.some((entry) => 'eventSource' in entry && entry.eventSource === 'aws:sqs');
}

/**
 * Entry point for both triggers: the alerts topic (SNS, asynchronous) and the delay queue (SQS).
 */
export async function handler(
  event: SNSEvent | SQSEvent,
  context: Context,
): Promise<SQSBatchResponse | undefined> {
  logger.addContext(context);
  try {
    if (isSqsEvent(event)) return await handleSqs(event.Records, context);
    await handleSns((event as SNSEvent).Records ?? [], context);
    return undefined;
  } finally {
    metrics.publishStoredMetrics();
  }
}
