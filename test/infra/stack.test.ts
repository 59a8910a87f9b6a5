import { STACK_OUTPUTS } from '../../lib/aep-dataflow-auto-retry-stack';
import { getAtt, ref, synth } from './synth';

describe('AepDataflowAutoRetryStack', () => {
  it('outputs every value the operator CLI reads, without exports', () => {
    // Prepare
    const { stack, template } = synth();
    const autoRetry = stack.autoRetry;

    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;

    // Assess
    expect(Object.keys(outputs).sort()).toEqual([...STACK_OUTPUTS].sort());
    expect(Object.values(outputs).filter((output) => output.Export !== undefined)).toEqual([]);
    expect(outputs.AlertsTopicArn?.Value).toEqual(ref(stack, autoRetry.alertsTopic));
    expect(outputs.OutcomesTopicArn?.Value).toEqual(ref(stack, autoRetry.outcomesTopic));
    expect(outputs.OpsTopicArn?.Value).toEqual(ref(stack, autoRetry.opsTopic));
    expect(outputs.CredentialsSecretArn?.Value).toEqual(ref(stack, autoRetry.credentialsSecret));
    expect(outputs.LedgerTableName?.Value).toEqual(ref(stack, autoRetry.ledger));
    expect(outputs.RetryQueueUrl?.Value).toEqual(ref(stack, autoRetry.retryQueue));
    expect(outputs.RetryDeadLetterQueueUrl?.Value).toEqual(ref(stack, autoRetry.retryDeadLetterQueue));
    expect(outputs.SubscriptionDeadLetterQueueUrl?.Value).toEqual(
      ref(stack, autoRetry.subscriptionDeadLetterQueue),
    );
    expect(outputs.OnFailureQueueUrl?.Value).toEqual(ref(stack, autoRetry.onFailureQueue));
    expect(outputs.RetrierFunctionName?.Value).toEqual(ref(stack, autoRetry.retrier));
  });

  it('outputs the imported alerts topic ARN as given', () => {
    // Act
    const { template } = synth({ alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:aep-failure-alerts' });

    // Assess
    template.hasOutput('AlertsTopicArn', { Value: 'arn:aws:sns:eu-west-1:123456789012:aep-failure-alerts' });
  });

  it('names the construct AutoRetry so resource ids stay stable', () => {
    // Act
    const { stack } = synth();

    // Assess
    expect(stack.autoRetry.node.id).toBe('AutoRetry');
    expect(getAtt(stack, stack.autoRetry.ledger, 'Arn')['Fn::GetAtt'][0]).toMatch(
      /^AutoRetryLedger[0-9A-F]{8}$/,
    );
  });
});
