import { Match } from 'aws-cdk-lib/assertions';
import { INGRESS_ENV } from '../../contracts/environment';
import type { AepDataflowAutoRetryStackProps } from '../../lib/aep-dataflow-auto-retry-stack';
import { actionsOf, getAtt, logicalId, ref, type Statement, type Synthesized, synth } from './synth';

const WEBHOOK: AepDataflowAutoRetryStackProps = {
  webhook: { clientIds: ['c5a34355b7f5491f8277b8dd63f0bfa3', 'second-client'] },
};

/** Every statement of the IAM policies attached to a role. */
function statementsOf(synthesized: Synthesized, roleLogicalId: string): Statement[] {
  const policies = synthesized.template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('DataflowAutoRetry webhook ingress', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth(WEBHOOK);
  });

  it('creates no ingress, URL or webhook output unless asked', () => {
    // Act
    const { template, stack } = synth();

    // Assess
    template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(stack.autoRetry.ingress).toBeUndefined();
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('WebhookUrl');
  });

  it('serves the ingress on a function URL with auth NONE, invoked only through that URL', () => {
    // Prepare
    const { stack, template } = synthesized;
    const ingress = stack.autoRetry.ingress!;

    // Assess
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: getAtt(stack, ingress, 'Arn'),
      Cors: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: getAtt(stack, ingress, 'Arn'),
      FunctionUrlAuthType: 'NONE',
      Principal: '*',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(stack, ingress, 'Arn'),
      InvokedViaFunctionUrl: true,
      Principal: '*',
    });
  });

  it('outputs the webhook URL and the ingress function name', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasOutput('WebhookUrl', { Value: getAtt(stack, stack.autoRetry.webhookUrl!, 'FunctionUrl') });
    template.hasOutput('IngressFunctionName', { Value: ref(stack, stack.autoRetry.ingress!) });
  });

  it('runs on nodejs24.x arm64 with a timeout inside I/O Events’ 10 seconds and the fixed Adobe key origin', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;

    // Act
    const fn = template.toJSON().Resources[logicalId(stack, autoRetry.ingress!)];

    // Assess
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    expect(fn.Properties.Timeout).toBeLessThan(10);
    expect(fn.Properties.Environment.Variables).toEqual({
      [INGRESS_ENV.alertsTopicArn]: ref(stack, autoRetry.alertsTopic),
      [INGRESS_ENV.ledgerTableName]: ref(stack, autoRetry.ledger),
      [INGRESS_ENV.clientIds]: 'c5a34355b7f5491f8277b8dd63f0bfa3,second-client',
      [INGRESS_ENV.keyOrigin]: 'https://static.adobeioevents.com',
      [INGRESS_ENV.eventTtlDays]: '3',
      POWERTOOLS_SERVICE_NAME: 'aep-dataflow-autoretry',
      POWERTOOLS_METRICS_NAMESPACE: 'AepDataflowAutoRetry',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    expect(fn.Properties.LoggingConfig).toEqual({
      LogGroup: { Ref: expect.stringMatching(/^AutoRetryIngressLogGroup[0-9A-F]{8}$/) },
    });
  });

  it('may publish to the alerts topic and Get/Put EVENT# ledger items, nothing else', () => {
    // Prepare
    const { stack } = synthesized;
    const autoRetry = stack.autoRetry;
    const roleId = logicalId(stack, autoRetry.ingress!.role!);

    // Act
    const statements = statementsOf(synthesized, roleId);

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: expect.objectContaining({
          'Fn::GetAtt': [expect.stringMatching(/^AutoRetryIngressLogGroup/), 'Arn'],
        }),
      },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(stack, autoRetry.alertsTopic) },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: getAtt(stack, autoRetry.encryptionKey, 'Arn'),
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: getAtt(stack, autoRetry.ledger, 'Arn'),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EVENT#*'] } },
      },
    ]);
    expect(statements.flatMap(actionsOf).some((action) => action.startsWith('secretsmanager:'))).toBe(false);
  });

  it('alarms when the ingress crashes or times out', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack, stack.autoRetry.ingress!) }],
      AlarmActions: [ref(stack, stack.autoRetry.opsTopic)],
    });
    expect(stack.autoRetry.alarms.ingressErrors).toBeDefined();
  });

  it('reserves concurrency for the ingress when asked', () => {
    // Act
    const { stack, template } = synth({ webhook: { clientIds: ['abc'], reservedConcurrentExecutions: 5 } });

    // Assess
    const fn = template.toJSON().Resources[logicalId(stack, stack.autoRetry.ingress!)];
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(5);
  });

  it.each<[string, AepDataflowAutoRetryStackProps, RegExp]>([
    ['no client id', { webhook: { clientIds: [] } }, /webhook\.clientIds must name the client id/],
    [
      'a client id with spaces',
      { webhook: { clientIds: ['a b'] } },
      /webhook\.clientIds must be Developer Console client ids/,
    ],
    [
      'a zero reservation',
      { webhook: { clientIds: ['abc'], reservedConcurrentExecutions: 0 } },
      /webhook\.reservedConcurrentExecutions must be a whole number of at least 1/,
    ],
  ])('throws at synth for %s', (_name, props, message) => {
    // Act & Assess
    expect(() => synth(props)).toThrow(message);
  });
});
