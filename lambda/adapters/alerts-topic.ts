/**
 * Publishes alerts to the alerts SNS topic: the webhook ingress forwards I/O events there and the
 * sweep publishes the failed runs it found, for the retrier subscribed to it.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertsTopicPort } from '../core/forwarding';
import type { CallOptions } from '../core/ports';
import { awsCallError } from './aws-errors';

/** Settings of {@link createAlertsTopic}. */
export interface AlertsTopicOptions {
  /** Built once at cold start; give it short timeouts where answers are due quickly (the webhook). */
  readonly client: SNSClient;
  readonly topicArn: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * An {@link AlertsTopicPort} over SNS. A call with a deadline is aborted when it passes, so a slow
 * publish cannot hold the webhook past I/O Events' 10-second limit.
 */
export function createAlertsTopic({ client, topicArn, now = Date.now }: AlertsTopicOptions): AlertsTopicPort {
  return {
    async publish(message, attributes, options: CallOptions = {}) {
      const abortSignal =
        options.deadline === undefined
          ? undefined
          : AbortSignal.timeout(Math.max(1, options.deadline - now()));
      try {
        const answer = await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: message,
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [
                name,
                { DataType: 'String', StringValue: value },
              ]),
            ),
          }),
          { abortSignal },
        );
        return { messageId: answer.MessageId ?? '' };
      } catch (error) {
        throw awsCallError(
          error,
          `publishing an alert to ${topicArn}`,
          'Check that ALERTS_TOPIC_ARN names an existing topic and the function may sns:Publish to it (and use its KMS key).',
        );
      }
    },
  };
}
