/**
 * Publishes outcome messages to the outcomes SNS topic.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { OUTCOME_ATTRIBUTE } from '../../contracts/environment';
import type { OutcomeMessage } from '../../contracts/outcome';
import { outcomeSubject } from '../core/outcome';
import type { OutcomePort } from '../core/ports';
import { awsCallError } from './aws-errors';

/** Settings of {@link createOutcomePublisher}. */
export interface OutcomePublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/**
 * An {@link OutcomePort} over SNS: the JSON body, a human subject line, and message attributes
 * `outcome` (the contract), `sandboxName` and `flowId` for subscription filter policies.
 */
export function createOutcomePublisher({ client, topicArn }: OutcomePublisherOptions): OutcomePort {
  return {
    async publish(message: OutcomeMessage) {
      const attributes: Record<string, { DataType: 'String'; StringValue: string }> = {
        [OUTCOME_ATTRIBUTE]: { DataType: 'String', StringValue: message.outcome },
      };
      if (message.sandboxName)
        attributes.sandboxName = { DataType: 'String', StringValue: message.sandboxName };
      if (message.flowId) attributes.flowId = { DataType: 'String', StringValue: message.flowId };
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: JSON.stringify(message),
            Subject: outcomeSubject(message),
            MessageAttributes: attributes,
          }),
        );
      } catch (error) {
        throw awsCallError(
          error,
          `publishing outcome ${message.outcome} for run ${message.runId ?? '(unknown)'} to ${topicArn}`,
          'Check that OUTCOME_TOPIC_ARN names an existing topic and the function may sns:Publish to it.',
        );
      }
    },
  };
}
