/**
 * Delivers messages from moto to the bundled function the way AWS would: alerts from the alerts
 * topic (read through its SQS inbox) as SNS events with asynchronous retries and the on-failure
 * queue, and the delay queue as SQS batches with partial failures. Also reads outcomes.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSEvent, SNSEventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { OutcomeMessage } from '../contracts/outcome';
import { invokeAsync, type LambdaHandler, lambdaContext } from './local-lambda';
import type { LocalResources } from './provision';

/** The JSON body SNS puts in an SQS queue it delivers to (raw delivery off). */
interface SnsNotification {
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string | null;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly UnsubscribeURL?: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** Turns an SNS notification (as SQS received it) into the record SNS gives a Lambda function. */
export function snsRecordOf(notification: SnsNotification): SNSEventRecord {
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: `${notification.TopicArn}:local-subscription`,
    EventSource: 'aws:sns',
    Sns: {
      SignatureVersion: notification.SignatureVersion ?? '1',
      Timestamp: notification.Timestamp,
      Signature: notification.Signature ?? '',
      SigningCertUrl: notification.SigningCertURL ?? '',
      MessageId: notification.MessageId,
      Message: notification.Message,
      MessageAttributes: notification.MessageAttributes ?? {},
      Type: notification.Type,
      UnsubscribeUrl: notification.UnsubscribeURL ?? '',
      TopicArn: notification.TopicArn,
      Subject: notification.Subject ?? (null as unknown as string),
    },
  };
}

async function receive(sqs: SQSClient, queueUrl: string, max = 10, waitSeconds = 0) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

async function remove(sqs: SQSClient, queueUrl: string, handles: string[]): Promise<void> {
  if (handles.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: handles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })),
    }),
  );
}

/** What one delivery round did. */
export interface DeliveryRound {
  readonly alerts: number;
  readonly delayed: number;
  /** Alerts whose every attempt threw: sent to the on-failure queue. */
  readonly sentToOnFailure: number;
}

/** Options of {@link deliverOnce}. */
export interface DeliveryOptions {
  readonly sqs: SQSClient;
  readonly resources: LocalResources;
  readonly handler: LambdaHandler;
  /** Lambda's asynchronous retries after a throw. @default 2 */
  readonly retryAttempts?: number;
  /** Alerts invoked at once, as concurrent Lambda containers would. @default 1 */
  readonly concurrency?: number;
}

/**
 * One round: every alert waiting in the alerts inbox becomes an SNS invocation (its own, as SNS
 * invokes once per message), and every due delay-queue message goes in SQS batches of up to 10.
 */
export async function deliverOnce(options: DeliveryOptions): Promise<DeliveryRound> {
  const { sqs, resources, handler } = options;
  let alerts = 0;
  let sentToOnFailure = 0;
  for (;;) {
    const messages = await receive(sqs, resources.alertsInboxUrl);
    if (messages.length === 0) break;
    const concurrency = Math.max(1, options.concurrency ?? 1);
    for (let index = 0; index < messages.length; index += concurrency) {
      const slice = messages.slice(index, index + concurrency);
      await Promise.all(
        slice.map(async (message) => {
          const event: SNSEvent = {
            Records: [snsRecordOf(JSON.parse(message.Body ?? '{}') as SnsNotification)],
          };
          const result = await invokeAsync(handler, event, { retryAttempts: options.retryAttempts ?? 2 });
          if (result.onFailure) {
            sentToOnFailure++;
            await sqs.send(
              new SendMessageCommand({
                QueueUrl: resources.onFailureQueueUrl,
                MessageBody: JSON.stringify(result.onFailure),
              }),
            );
          }
        }),
      );
    }
    alerts += messages.length;
    await remove(
      sqs,
      resources.alertsInboxUrl,
      messages.map((message) => message.ReceiptHandle ?? ''),
    );
  }
  let delayed = 0;
  for (;;) {
    const messages = await receive(sqs, resources.retryQueueUrl);
    if (messages.length === 0) break;
    const event: SQSEvent = { Records: messages.map((message) => sqsRecordOf(message, resources)) };
    const response = (await handler(event, lambdaContext())) as SQSBatchResponse | undefined;
    const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    delayed += messages.length;
    // Failed items stay in the queue and come back after the visibility timeout, as on AWS.
    await remove(
      sqs,
      resources.retryQueueUrl,
      messages
        .filter((message) => !failed.has(message.MessageId ?? ''))
        .map((message) => message.ReceiptHandle ?? ''),
    );
  }
  return { alerts, delayed, sentToOnFailure };
}

function sqsRecordOf(
  message: Awaited<ReturnType<typeof receive>>[number],
  resources: LocalResources,
): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${resources.prefix}-retry`,
    awsRegion: 'us-east-1',
  };
}

/** Reads (and removes) every outcome waiting in the outcomes inbox. */
export async function drainOutcomes(sqs: SQSClient, resources: LocalResources): Promise<OutcomeMessage[]> {
  const outcomes: OutcomeMessage[] = [];
  for (;;) {
    const messages = await receive(sqs, resources.outcomesInboxUrl);
    if (messages.length === 0) return outcomes;
    for (const message of messages) {
      const notification = JSON.parse(message.Body ?? '{}') as SnsNotification;
      outcomes.push(JSON.parse(notification.Message) as OutcomeMessage);
    }
    await remove(
      sqs,
      resources.outcomesInboxUrl,
      messages.map((message) => message.ReceiptHandle ?? ''),
    );
  }
}

/**
 * Delivers until nothing is left: alerts, then delay-queue messages as they come due, for at most
 * `maxWaitMs` of waiting on future delays.
 */
export async function deliverUntilIdle(
  options: DeliveryOptions & { readonly maxWaitMs?: number; readonly pendingDelays?: () => Promise<number> },
): Promise<DeliveryRound> {
  const total = { alerts: 0, delayed: 0, sentToOnFailure: 0 };
  const started = Date.now();
  for (;;) {
    const round = await deliverOnce(options);
    total.alerts += round.alerts;
    total.delayed += round.delayed;
    total.sentToOnFailure += round.sentToOnFailure;
    const pending = options.pendingDelays ? await options.pendingDelays() : 0;
    const busy = round.alerts + round.delayed > 0;
    if (!busy && pending === 0) return total;
    if (Date.now() - started > (options.maxWaitMs ?? 30_000)) return total;
    if (!busy) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
