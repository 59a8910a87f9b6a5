/**
 * The webhook ingress function (a Lambda function URL that Adobe I/O Events calls): the
 * composition root. Configuration, clients and adapters are built once per container; each request
 * goes to the webhook and ends in one log line and a few metrics. Headers are never logged whole:
 * only the delivery id, retry count and event code, and only when they look like what Adobe sends.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createAlertsTopic } from '../adapters/alerts-topic';
import { createEventLedger } from '../adapters/event-ledger';
import { createIoEventsKeys } from '../adapters/io-events-keys';
import { SAFE_ID } from '../core/run-object';
import { createObservability } from '../shared/observability';
import { loadIngressConfig } from './config';
import { createWebhook, requestFromFunctionUrl, type WebhookRequest, type WebhookResult } from './webhook';

/**
 * I/O Events gives a webhook 10 seconds, connection set-up included (reference 4.6): every call
 * gives up within this budget so the answer, even a 503, arrives in time.
 */
const ANSWER_BUDGET_MS = 7000;
/** Time kept back from the Lambda timeout to log and answer. */
const SAFETY_MARGIN_MS = 1000;
/** AWS calls: a short timeout and one retry, inside the answer budget. */
const AWS_CLIENT_SETTINGS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2500, throwOnRequestTimeout: true },
};

const { logger, metrics } = createObservability(process.env);

const config = loadIngressConfig(process.env);
const webhook = createWebhook({
  keys: createIoEventsKeys({ origin: config.keyOrigin }),
  alerts: createAlertsTopic({ client: new SNSClient(AWS_CLIENT_SETTINGS), topicArn: config.alertsTopicArn }),
  events: createEventLedger({
    client: new DynamoDBClient(AWS_CLIENT_SETTINGS),
    tableName: config.ledgerTableName,
    ttlDays: config.eventTtlDays,
  }),
  clientIds: config.clientIds,
  clock: { now: () => Date.now() },
});

/** A header value worth logging: Adobe's ids and codes are short and plain. */
function plain(value: string | undefined, pattern = SAFE_ID): string | undefined {
  return value !== undefined && pattern.test(value) ? value : undefined;
}

function record(result: WebhookResult, request: WebhookRequest, startedAt: number): void {
  const line = {
    method: request.method.slice(0, 16),
    outcome: result.outcome,
    status: result.response.statusCode,
    reason: result.reason,
    deliveryId: plain(request.header('x-adobe-delivery-id')),
    retryCount: plain(request.header('x-adobe-retry-count'), /^\d{1,4}$/),
    eventCode: plain(request.header('x-adobe-event-code')),
    events: result.events,
    durationMs: Date.now() - startedAt,
  };
  metrics.addMetric(`webhook_${result.outcome}`, MetricUnit.Count, 1);
  for (const event of result.events) metrics.addMetric(`webhook_event_${event.action}`, MetricUnit.Count, 1);
  if (result.outcome === 'unavailable') {
    logger.error(
      { message: 'webhook request failed; I/O Events will deliver again', ...line },
      result.error as Error,
    );
  } else if (result.outcome === 'accepted' || result.outcome === 'challenge') {
    logger.info({ message: 'webhook request handled', ...line });
  } else {
    logger.warn({ message: 'webhook request refused', ...line });
  }
}

/** Entry point for the function URL. */
export async function handler(
  event: LambdaFunctionURLEvent,
  context: Context,
): Promise<LambdaFunctionURLResult> {
  logger.addContext(context);
  const startedAt = Date.now();
  const deadline =
    startedAt + Math.min(ANSWER_BUDGET_MS, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  const request = requestFromFunctionUrl(event);
  try {
    let result: WebhookResult;
    try {
      result = await webhook.handle(request, { deadline });
    } catch (error) {
      // A bug, not a transient fault; 500 still makes I/O Events deliver again after the fix.
      result = {
        outcome: 'unavailable',
        reason: 'unexpected error',
        events: [],
        error,
        response: {
          statusCode: 500,
          headers: { 'content-type': 'application/json' },
          body: '{"message":"internal error"}',
        },
      };
    }
    record(result, request, startedAt);
    return { ...result.response, headers: { ...result.response.headers } };
  } finally {
    metrics.publishStoredMetrics();
  }
}
