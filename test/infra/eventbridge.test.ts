import { Match } from 'aws-cdk-lib/assertions';
import type { AepDataflowAutoRetryStackProps } from '../../lib/aep-dataflow-auto-retry-stack';
import { ADOBE_FAILURE_EVENT_PATTERN } from '../../lib/alert-routes';
import { loadFixture } from '../support/fixtures';
import { getAtt, logicalId, ref, type Synthesized, synth } from './synth';

const BUS = 'aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f';
const ROUTE: AepDataflowAutoRetryStackProps = { eventBridge: { partnerEventBusName: BUS } };

type Json = Record<string, unknown>;

/**
 * Evaluates the subset of EventBridge's pattern language the rule uses (`prefix`,
 * `equals-ignore-case`, exact values, nested objects, `$or`), so the tests can show which
 * envelopes it matches. EventBridge itself is not available offline.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((condition) => {
      if (typeof condition !== 'object' || condition === null) return condition === event;
      const rule = condition as Json;
      if (typeof rule.prefix === 'string') return typeof event === 'string' && event.startsWith(rule.prefix);
      if (typeof rule['equals-ignore-case'] === 'string') {
        return typeof event === 'string' && event.toLowerCase() === rule['equals-ignore-case'].toLowerCase();
      }
      throw new Error(`unsupported condition ${JSON.stringify(rule)}`);
    });
  }
  const record = pattern as Json;
  const value = (typeof event === 'object' && event !== null ? event : {}) as Json;
  return Object.entries(record).every(([key, inner]) =>
    key === '$or'
      ? (inner as unknown[]).some((branch) => matches(branch, event))
      : matches(inner, value[key]),
  );
}

/** An EventBridge partner event around `detail`, as the fixture shows Adobe's envelope. */
function partnerEvent(detail: unknown): Json {
  return { ...loadFixture<Json>('alerts/failure-eventbridge.json'), detail };
}

describe('DataflowAutoRetry EventBridge route', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth(ROUTE);
  });

  it('creates no rule on any bus, and no EventBridge DLQ output, unless asked', () => {
    // Act
    const { template, stack } = synth();

    // Assess
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(stack.autoRetry.eventBridgeDeadLetterQueue).toBeUndefined();
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('EventBridgeDeadLetterQueueUrl');
  });

  it('puts a rule on the partner bus matching Adobe sources with a failed run in detail, data or event', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: BUS,
      State: 'ENABLED',
      EventPattern: {
        source: [{ prefix: 'aws.partner/developer.adobe.com' }],
        detail: {
          $or: [
            { metrics: { statusSummary: { status: [{ 'equals-ignore-case': 'failed' }] } } },
            { data: { metrics: { statusSummary: { status: [{ 'equals-ignore-case': 'failed' }] } } } },
            { event: { metrics: { statusSummary: { status: [{ 'equals-ignore-case': 'failed' }] } } } },
          ],
        },
      },
    });
  });

  it('delivers the event’s detail to the alerts topic through its own role, with retries and a DLQ', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;
    const roleId = logicalId(stack, autoRetry.node.findChild('EventBridgeDeliveryRole'));

    // Act
    const rule = template.toJSON().Resources[logicalId(stack, autoRetry.eventBridgeRule!)];

    // Assess
    expect(rule.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: ref(stack, autoRetry.alertsTopic),
        InputPath: '$.detail',
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        DeadLetterConfig: { Arn: getAtt(stack, autoRetry.eventBridgeDeadLetterQueue!, 'Arn') },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      },
    ]);
  });

  it('lets its delivery role publish to the alerts topic only, assumed by EventBridge only', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;
    const roleId = logicalId(stack, autoRetry.node.findChild('EventBridgeDeliveryRole'));

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          { Action: 'sns:Publish', Effect: 'Allow', Resource: ref(stack, autoRetry.alertsTopic) },
          {
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Effect: 'Allow',
            Resource: getAtt(stack, autoRetry.encryptionKey, 'Arn'),
          },
        ],
      },
    });
  });

  it('lets only this rule dead-letter into its queue, and alarms on it', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;

    // Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(stack, autoRetry.eventBridgeDeadLetterQueue!)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowTheAdobeRuleToDeadLetter',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(stack, autoRetry.eventBridgeDeadLetterQueue!, 'Arn'),
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(stack, autoRetry.eventBridgeRule!, 'Arn') } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: getAtt(stack, autoRetry.eventBridgeDeadLetterQueue!, 'QueueName') },
      ],
    });
    template.hasOutput('AdobeEventBridgeRuleName', { Value: ref(stack, autoRetry.eventBridgeRule!) });
  });

  it('outputs the URL of its DLQ for the CLI’s redrive, without an export', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Act
    const output = template.toJSON().Outputs.EventBridgeDeadLetterQueueUrl;

    // Assess
    expect(output).toEqual({
      Description: 'Adobe events EventBridge could not publish to the alerts topic',
      Value: ref(stack, stack.autoRetry.eventBridgeDeadLetterQueue!),
    });
  });

  it.each([
    ['the run object itself', (run: Json) => run],
    ['a CloudEvents envelope (data)', (run: Json) => ({ specversion: '1.0', id: 'e', data: run })],
    ['a legacy I/O envelope (event)', (run: Json) => ({ event_id: 'e', event: run })],
  ])('matches a failure alert carried as %s', (_name, wrap) => {
    // Prepare
    const event = partnerEvent(wrap(loadFixture<Json>('alerts/failure-run.json')));

    // Act & Assess
    expect(matches(ADOBE_FAILURE_EVENT_PATTERN, event)).toBe(true);
  });

  it('matches a failure whose status is written in another case', () => {
    // Prepare
    const run = loadFixture<Json>('alerts/failure-run.json');
    (run.metrics as { statusSummary: { status: string } }).statusSummary.status = 'Failed';

    // Act & Assess
    expect(matches(ADOBE_FAILURE_EVENT_PATTERN, partnerEvent(run))).toBe(true);
  });

  it.each([
    'alerts/start-run.json',
    'alerts/success-run.json',
    'alerts/delay-alert.json',
    'alerts/error-rate-alert.json',
  ])('does not match %s', (fixture) => {
    // Act & Assess
    expect(matches(ADOBE_FAILURE_EVENT_PATTERN, partnerEvent(loadFixture(fixture)))).toBe(false);
  });

  it('does not match a failure from a source other than Adobe', () => {
    // Prepare
    const event = {
      ...partnerEvent(loadFixture('alerts/failure-run.json')),
      source: 'custom.adobe.lookalike',
    };

    // Act & Assess
    expect(matches(ADOBE_FAILURE_EVENT_PATTERN, event)).toBe(false);
  });

  it.each(['', 'default', 'bus with spaces'])('throws at synth for the bus name "%s"', (name) => {
    // Act & Assess
    expect(() => synth({ eventBridge: { partnerEventBusName: name } })).toThrow(
      /eventBridge\.partnerEventBusName must name the event bus of the Adobe partner event source/,
    );
  });
});
