/**
 * The SQS delay queue that brings scheduled re-triggers back to the function.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DelayedRetry, DelayQueuePort } from '../core/ports';
import { awsCallError } from './aws-errors';

/** SQS's per-message delay limit, in seconds. */
const SQS_MAX_DELAY_SECONDS = 900;

/** Settings of {@link createDelayQueue}. */
export interface DelayQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/** A {@link DelayQueuePort} over SQS `SendMessage` with `DelaySeconds`. */
export function createDelayQueue({ client, queueUrl }: DelayQueueOptions): DelayQueuePort {
  return {
    async send(message: DelayedRetry, delaySeconds: number) {
      const delay = Math.min(Math.max(Math.round(delaySeconds), 0), SQS_MAX_DELAY_SECONDS);
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: JSON.stringify(message),
            DelaySeconds: delay,
          }),
        );
      } catch (error) {
        throw awsCallError(
          error,
          `scheduling attempt ${message.attempt} of run ${message.alert.runId} on ${queueUrl}`,
          'Check that RETRY_QUEUE_URL names an existing queue and the function may sqs:SendMessage to it.',
        );
      }
    },
  };
}
