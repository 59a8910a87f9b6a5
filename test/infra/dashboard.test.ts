/**
 * The operations dashboard and the exhausted alarm, next to the real `DataflowAutoRetry`
 * construct: the dashboard body's widgets and metrics, the alarm's metric, threshold and action,
 * and cdk-nag.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OUTCOMES } from '../../contracts/outcome';
import { DataflowAutoRetry, type DataflowAutoRetryProps } from '../../lib/dataflow-auto-retry';
import { OperationsDashboard, type OperationsDashboardProps } from '../../lib/operations-dashboard';
import { logicalId, SKIP_BUNDLING } from './synth';

/** One widget of a dashboard body. */
interface Widget {
  readonly type: string;
  readonly width: number;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly alarms?: unknown[];
    readonly annotations?: { horizontal?: { value: number; label?: string }[] };
  };
}

/** The construct's own dashboard, as `DataflowAutoRetry` wires it. */
function build(props: DataflowAutoRetryProps = {}) {
  const app = new App({ context: SKIP_BUNDLING });
  const stack = new Stack(app, 'Ops');
  const autoRetry = new DataflowAutoRetry(stack, 'AutoRetry', props);
  return { app, stack, autoRetry, operations: autoRetry.operations, template: Template.fromStack(stack) };
}

/** The dashboard alone, on stand-in resources, for props the construct does not pass through. */
function buildStandalone(props: Partial<OperationsDashboardProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Standalone');
  const queue = (id: string) => new sqs.Queue(stack, id, { enforceSSL: true });
  const operations = new OperationsDashboard(stack, 'Operations', {
    retrier: new lambda.Function(stack, 'Retrier', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
    }),
    subscriptionDeadLetterQueue: queue('SubscriptionDlq'),
    onFailureQueue: queue('OnFailure'),
    retryDeadLetterQueue: queue('RetryDlq'),
    opsTopic: new sns.Topic(stack, 'OpsTopic'),
    ...props,
  });
  return { operations, template: Template.fromStack(stack) };
}

/**
 * The dashboard body as JSON. CloudFormation gets it as an `Fn::Join` of text and references; the
 * references become `{ref:<logical id>}` text so the body parses.
 */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return `{ref:${token.Ref ?? token['Fn::GetAtt']?.join('.') ?? 'AWS::Region'}}`;
    })
    .join('');
  return JSON.parse(text);
}

function widgetTitled(widgets: readonly Widget[], title: string): Widget {
  const widget = widgets.find((candidate) => candidate.properties.title === title);
  if (!widget)
    throw new Error(`no widget "${title}" in ${widgets.map((w) => w.properties.title).join(', ')}`);
  return widget;
}

/** `[namespace, metric name, dimension, value, ...]` of each metric line of a widget. */
function metricLines(widget: Widget): string[][] {
  return (widget.properties.metrics ?? []).map((line) => line.filter((cell) => typeof cell === 'string'));
}

describe('OperationsDashboard', () => {
  it('graphs one line per outcome metric in the retrier namespace with the service dimension', () => {
    // Prepare
    const { template } = build();

    // Act
    const outcomes = widgetTitled(dashboardBody(template).widgets, 'Outcomes');

    // Assess
    expect(outcomes.type).toBe('metric');
    expect(metricLines(outcomes)).toEqual([
      ...OUTCOMES.map((outcome) => ['AepDataflowAutoRetry', outcome, 'service', 'aep-dataflow-autoretry']),
      ['AepDataflowAutoRetry', 'kept_for_retry', 'service', 'aep-dataflow-autoretry'],
    ]);
  });

  it('shows exhausted runs with the alarm threshold, DLQ depth, errors and throttles, duration and latency', () => {
    // Prepare
    const { stack, autoRetry, template } = build();
    const { widgets } = dashboardBody(template);
    const queueName = (queue: typeof autoRetry.onFailureQueue) =>
      `{ref:${logicalId(stack, queue)}.QueueName}`;
    const functionName = `{ref:${logicalId(stack, autoRetry.retrier)}}`;

    // Act
    const exhausted = widgetTitled(widgets, 'Exhausted runs');
    const depth = widgetTitled(widgets, 'Dead-letter queue depth');
    const errors = widgetTitled(widgets, 'Retrier errors and throttles');
    const duration = widgetTitled(widgets, 'Retrier duration');
    const latency = widgetTitled(widgets, 'Re-trigger latency (alert to new run)');

    // Assess
    expect(metricLines(exhausted)).toEqual([
      ['AepDataflowAutoRetry', 'exhausted', 'service', 'aep-dataflow-autoretry'],
    ]);
    expect(exhausted.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 5, label: 'alarm threshold' }),
    ]);
    expect(metricLines(depth)).toEqual(
      [autoRetry.subscriptionDeadLetterQueue, autoRetry.onFailureQueue, autoRetry.retryDeadLetterQueue].map(
        (queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(queue)],
      ),
    );
    expect(metricLines(errors)).toEqual([
      ['AWS/Lambda', 'Errors', 'FunctionName', functionName],
      ['AWS/Lambda', 'Throttles', 'FunctionName', functionName],
      ['AWS/Lambda', 'Invocations', 'FunctionName', functionName],
    ]);
    expect(metricLines(duration)).toEqual([
      ['AWS/Lambda', 'Duration', 'FunctionName', functionName],
      ['AWS/Lambda', 'Duration', 'FunctionName', functionName],
    ]);
    expect(JSON.stringify(duration.properties.metrics)).toMatch(/"stat":"p50".*"stat":"p99"/);
    expect(metricLines(latency)[0]).toEqual([
      'AepDataflowAutoRetry',
      'retrigger_latency',
      'service',
      'aep-dataflow-autoretry',
    ]);
    expect(JSON.stringify(latency.properties.metrics)).toMatch(/"stat":"p50".*"stat":"p99"/);
  });

  it('graphs the EventBridge DLQ too when the EventBridge route is deployed', () => {
    // Prepare
    const { stack, autoRetry, template } = build({
      eventBridge: {
        partnerEventBusName: 'aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f',
      },
    });
    const dlq = autoRetry.eventBridgeDeadLetterQueue;

    // Act
    const depth = widgetTitled(dashboardBody(template).widgets, 'Dead-letter queue depth');

    // Assess
    expect(dlq).toBeDefined();
    expect(metricLines(depth)).toHaveLength(4);
    expect(metricLines(depth)[3]).toEqual([
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'QueueName',
      `{ref:${logicalId(stack, dlq as NonNullable<typeof dlq>)}.QueueName}`,
    ]);
  });

  it("lists the exhausted alarm and the construct's alarms in the alarm status row", () => {
    // Prepare
    const { stack, autoRetry, operations, template } = build();

    // Act
    const alarms = widgetTitled(dashboardBody(template).widgets, 'Alarms');

    // Assess
    expect(alarms.type).toBe('alarm');
    const others = Object.values(autoRetry.alarms).filter((alarm) => alarm !== operations.exhaustedAlarm);
    expect(autoRetry.alarms.exhausted).toBe(operations.exhaustedAlarm);
    expect(alarms.properties.alarms).toEqual(
      [operations.exhaustedAlarm, ...others].map((alarm) => `{ref:${logicalId(stack, alarm)}.Arn}`),
    );
  });

  it('alarms the ops topic when 5 or more runs are exhausted within an hour, and not on missing data', () => {
    // Prepare
    const { stack, autoRetry, operations, template } = build();

    // Act
    const alarm = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'exhausted' },
    });

    // Assess
    expect(Object.keys(alarm)).toEqual([logicalId(stack, operations.exhaustedAlarm)]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AepDataflowAutoRetry',
      MetricName: 'exhausted',
      Dimensions: [{ Name: 'service', Value: 'aep-dataflow-autoretry' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack, autoRetry.opsTopic) }],
      AlarmDescription: Match.stringLikeRegexp('exhausted their re-triggers'),
    });
  });

  it('takes the threshold from the construct', () => {
    // Prepare
    const { template } = build({ exhaustedAlarmThreshold: 3 });

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'exhausted', Threshold: 3 });
  });

  it('takes the threshold, period, namespace, service and dashboard name from props', () => {
    // Prepare
    const { template } = buildStandalone({
      exhaustedAlarmThreshold: 2,
      exhaustedAlarmPeriod: Duration.minutes(30),
      metricsNamespace: 'Custom',
      serviceName: 'retrier-eu',
      dashboardName: 'aep-autoretry-eu',
    });

    // Act
    const outcomes = widgetTitled(dashboardBody(template).widgets, 'Outcomes');

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'aep-autoretry-eu' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Custom',
      MetricName: 'exhausted',
      Dimensions: [{ Name: 'service', Value: 'retrier-eu' }],
      Period: 1800,
      Threshold: 2,
    });
    expect(metricLines(outcomes)[0]).toEqual(['Custom', 'retriggered', 'service', 'retrier-eu']);
  });

  it.each<[string, Partial<OperationsDashboardProps>, RegExp]>([
    [
      'a threshold of 0',
      { exhaustedAlarmThreshold: 0 },
      /exhaustedAlarmThreshold must be a whole number of at least 1/,
    ],
    [
      'a period of 90 seconds',
      { exhaustedAlarmPeriod: Duration.seconds(90) },
      /exhaustedAlarmPeriod must be whole minutes/,
    ],
  ])('rejects %s', (_name, props, message) => {
    // Act & Assess
    expect(() => buildStandalone(props)).toThrow(message);
  });

  it('keeps cdk-nag AwsSolutions checks clean', () => {
    // Prepare
    const { app } = build();

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Assess
    expect(
      report.violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
      ),
    ).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
