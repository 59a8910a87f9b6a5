/**
 * The deployable stack: one {@link DataflowAutoRetry} and the outputs the operator CLI reads.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DataflowAutoRetry, type DataflowAutoRetryProps } from './dataflow-auto-retry';

/** Settings of {@link AepDataflowAutoRetryStack}: the stack's own plus the construct's. */
export interface AepDataflowAutoRetryStackProps extends StackProps, DataflowAutoRetryProps {}

/**
 * Output keys of the stack. The operator CLI and the README read outputs by these keys, so they
 * are part of the contract: keep them.
 */
export const STACK_OUTPUTS = [
  'AlertsTopicArn',
  'OutcomesTopicArn',
  'OpsTopicArn',
  'CredentialsSecretArn',
  'LedgerTableName',
  'RetryQueueUrl',
  'RetryDeadLetterQueueUrl',
  'SubscriptionDeadLetterQueueUrl',
  'OnFailureQueueUrl',
  'RetrierFunctionName',
] as const;

/** A key of {@link STACK_OUTPUTS}. */
export type StackOutputKey = (typeof STACK_OUTPUTS)[number];

/**
 * Output keys present only when their part is enabled: `WebhookUrl` and `IngressFunctionName` with
 * the webhook, `SweepFunctionName` with the sweep, `AdobeEventBridgeRuleName` and
 * `EventBridgeDeadLetterQueueUrl` with the EventBridge route. Part of the contract like
 * {@link STACK_OUTPUTS}.
 */
export const OPTIONAL_STACK_OUTPUTS = [
  'WebhookUrl',
  'IngressFunctionName',
  'SweepFunctionName',
  'AdobeEventBridgeRuleName',
  'EventBridgeDeadLetterQueueUrl',
] as const;

/** A key of {@link OPTIONAL_STACK_OUTPUTS}. */
export type OptionalStackOutputKey = (typeof OPTIONAL_STACK_OUTPUTS)[number];

/** The AEP dataflow auto-retry app as one stack. */
export class AepDataflowAutoRetryStack extends Stack {
  /** The construct holding every resource. */
  public readonly autoRetry: DataflowAutoRetry;

  constructor(scope: Construct, id: string, props: AepDataflowAutoRetryStackProps = {}) {
    super(scope, id, props);
    this.autoRetry = new DataflowAutoRetry(this, 'AutoRetry', props);
    const autoRetry = this.autoRetry;

    const outputs: Record<StackOutputKey, { value: string; description: string }> = {
      AlertsTopicArn: {
        value: autoRetry.alertsTopic.topicArn,
        description: 'Publish AEP dataflow run failure alerts here',
      },
      OutcomesTopicArn: {
        value: autoRetry.outcomesTopic.topicArn,
        description: 'One outcome message per failed run; subscribe email, chat or automation',
      },
      OpsTopicArn: { value: autoRetry.opsTopic.topicArn, description: 'Alarm notifications' },
      CredentialsSecretArn: {
        value: autoRetry.credentialsSecret.secretArn,
        description: 'Secret holding the AEP OAuth Server-to-Server credential(s)',
      },
      LedgerTableName: { value: autoRetry.ledger.tableName, description: 'DynamoDB retry ledger' },
      RetryQueueUrl: {
        value: autoRetry.retryQueue.queueUrl,
        description: 'Delay queue of scheduled re-triggers',
      },
      RetryDeadLetterQueueUrl: {
        value: autoRetry.retryDeadLetterQueue.queueUrl,
        description: 'Delayed re-triggers that failed every receive',
      },
      SubscriptionDeadLetterQueueUrl: {
        value: autoRetry.subscriptionDeadLetterQueue.queueUrl,
        description: 'Alerts SNS could not deliver to the retrier',
      },
      OnFailureQueueUrl: {
        value: autoRetry.onFailureQueue.queueUrl,
        description: 'Alerts that failed every attempt of the retrier',
      },
      RetrierFunctionName: {
        value: autoRetry.retrier.functionName,
        description: 'The retrier Lambda function',
      },
    };
    for (const key of STACK_OUTPUTS) {
      // No exportName: exports would pin these values against change; the CLI reads outputs by key.
      new CfnOutput(this, key, outputs[key]);
    }

    const optional: Partial<Record<OptionalStackOutputKey, { value: string; description: string }>> = {
      ...(autoRetry.webhookUrl && autoRetry.ingress
        ? {
            WebhookUrl: {
              value: autoRetry.webhookUrl.url,
              description: 'Register this URL as the webhook of the Adobe I/O Events registration',
            },
            IngressFunctionName: {
              value: autoRetry.ingress.functionName,
              description: 'The I/O Events webhook ingress Lambda function',
            },
          }
        : {}),
      ...(autoRetry.sweepFunction
        ? {
            SweepFunctionName: {
              value: autoRetry.sweepFunction.functionName,
              description: 'The scheduled missed-alert sweep Lambda function',
            },
          }
        : {}),
      ...(autoRetry.eventBridgeRule && autoRetry.eventBridgeDeadLetterQueue
        ? {
            AdobeEventBridgeRuleName: {
              value: autoRetry.eventBridgeRule.ruleName,
              description:
                'The rule sending AEP failure events from the Adobe partner bus to the alerts topic',
            },
            EventBridgeDeadLetterQueueUrl: {
              value: autoRetry.eventBridgeDeadLetterQueue.queueUrl,
              description: 'Adobe events EventBridge could not publish to the alerts topic',
            },
          }
        : {}),
    };
    for (const key of OPTIONAL_STACK_OUTPUTS) {
      const output = optional[key];
      if (output) new CfnOutput(this, key, output);
    }
  }
}
