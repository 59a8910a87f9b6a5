import { Duration } from 'aws-cdk-lib';
import { SWEEP_ENV } from '../../contracts/environment';
import type { AepDataflowAutoRetryStackProps } from '../../lib/aep-dataflow-auto-retry-stack';
import { getAtt, logicalId, ref, type Statement, type Synthesized, synth } from './synth';

const SWEEP: AepDataflowAutoRetryStackProps = { sweep: { sandboxes: ['prod', 'Dev'] } };

function sweepStatements(synthesized: Synthesized): Statement[] {
  const roleId = logicalId(synthesized.stack, synthesized.stack.autoRetry.sweepFunction!.role!);
  return Object.values(synthesized.template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('DataflowAutoRetry missed-alert sweep', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth(SWEEP);
  });

  it('creates no sweep unless asked', () => {
    // Act
    const { stack, template } = synth();

    // Assess
    expect(stack.autoRetry.sweepFunction).toBeUndefined();
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('SweepFunctionName');
  });

  it('runs the sweep every 15 minutes by default, without Lambda retries', () => {
    // Prepare
    const { stack, template } = synthesized;
    const fn = stack.autoRetry.sweepFunction!;

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: getAtt(stack, fn, 'Arn'), Id: 'Target0' }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(stack, fn, 'Arn'),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(stack, stack.autoRetry.sweepRule!, 'Arn'),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack, fn),
      MaximumRetryAttempts: 0,
    });
    template.hasOutput('SweepFunctionName', { Value: ref(stack, fn) });
  });

  it('sets the sweep’s environment, with the retrier’s Adobe endpoints and secret, and its defaults', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;

    // Act
    const fn = template.toJSON().Resources[logicalId(stack, autoRetry.sweepFunction!)];

    // Assess
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 300 });
    expect(fn.Properties.Environment.Variables).toEqual({
      [SWEEP_ENV.flowServiceUrl]: 'https://platform.adobe.io/data/foundation/flowservice',
      [SWEEP_ENV.imsTokenUrl]: 'https://ims-na1.adobelogin.com/ims/token/v3',
      [SWEEP_ENV.credentialsSecretId]: ref(stack, autoRetry.credentialsSecret),
      [SWEEP_ENV.alertsTopicArn]: ref(stack, autoRetry.alertsTopic),
      [SWEEP_ENV.ledgerTableName]: ref(stack, autoRetry.ledger),
      [SWEEP_ENV.sandboxes]: 'prod,dev',
      [SWEEP_ENV.lookbackMinutes]: '120',
      [SWEEP_ENV.maxRuns]: '500',
      [SWEEP_ENV.maxPublishes]: '50',
      [SWEEP_ENV.maxCallsPerSecond]: '2',
      POWERTOOLS_SERVICE_NAME: 'aep-dataflow-autoretry',
      POWERTOOLS_METRICS_NAMESPACE: 'AepDataflowAutoRetry',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('takes the schedule, look-back and caps from props', () => {
    // Act
    const { stack, template } = synth({
      sweep: {
        sandboxes: ['prod'],
        schedule: Duration.minutes(30),
        lookback: Duration.hours(6),
        maxRunsPerSweep: 100,
        maxPublishesPerSweep: 10,
        maxCallsPerSecond: 5,
      },
    });

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(30 minutes)' });
    const fn = template.toJSON().Resources[logicalId(stack, stack.autoRetry.sweepFunction!)];
    expect(fn.Properties.Environment.Variables).toMatchObject({
      [SWEEP_ENV.lookbackMinutes]: '360',
      [SWEEP_ENV.maxRuns]: '100',
      [SWEEP_ENV.maxPublishes]: '10',
      [SWEEP_ENV.maxCallsPerSecond]: '5',
    });
  });

  it('may read the secret, GetItem RUN# ledger items and publish to the alerts topic, nothing else', () => {
    // Prepare
    const { stack } = synthesized;
    const autoRetry = stack.autoRetry;

    // Act
    const statements = sweepStatements(synthesized);

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^AutoRetrySweepLogGroup/), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: ref(stack, autoRetry.credentialsSecret),
      },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(stack, autoRetry.alertsTopic) },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: getAtt(stack, autoRetry.encryptionKey, 'Arn'),
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: getAtt(stack, autoRetry.ledger, 'Arn'),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RUN#*'] } },
      },
    ]);
  });

  it('alarms when a sweep fails', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack, stack.autoRetry.sweepFunction!) }],
      AlarmActions: [ref(stack, stack.autoRetry.opsTopic)],
    });
  });

  it.each<[string, AepDataflowAutoRetryStackProps, RegExp]>([
    ['no sandbox', { sweep: { sandboxes: [] } }, /sweep\.sandboxes must name at least one sandbox/],
    [
      'a sandbox name with spaces',
      { sweep: { sandboxes: ['my sandbox'] } },
      /sweep\.sandboxes must be sandbox names/,
    ],
    [
      'a schedule in seconds',
      { sweep: { sandboxes: ['prod'], schedule: Duration.seconds(90) } },
      /sweep\.schedule must be whole minutes/,
    ],
    [
      'a look-back over 7 days',
      { sweep: { sandboxes: ['prod'], lookback: Duration.days(8) } },
      /sweep\.lookback must be whole minutes, at most 7 days/,
    ],
    [
      'a look-back shorter than the schedule',
      { sweep: { sandboxes: ['prod'], schedule: Duration.hours(1), lookback: Duration.minutes(30) } },
      /must be at least sweep\.schedule/,
    ],
    [
      'a look-back the ledger does not outlive',
      {
        ledgerTtlDays: 2,
        retryPolicy: { delaysSeconds: [0] },
        sweep: { sandboxes: ['prod'], lookback: Duration.days(3) },
      },
      /must be shorter than ledgerTtlDays \(2\)/,
    ],
    [
      'a publish cap of 0',
      { sweep: { sandboxes: ['prod'], maxPublishesPerSweep: 0 } },
      /sweep\.maxPublishesPerSweep must be a whole number from 1 to 1000/,
    ],
    [
      'a call rate of 100',
      { sweep: { sandboxes: ['prod'], maxCallsPerSecond: 100 } },
      /sweep\.maxCallsPerSecond must be a whole number from 1 to 50/,
    ],
  ])('throws at synth for %s', (_name, props, message) => {
    // Act & Assess
    expect(() => synth(props)).toThrow(message);
  });
});
