/**
 * The operations view of the retrier: a CloudWatch dashboard (outcomes over time, exhausted runs,
 * dead-letter queue depth, function errors and throttles, duration and re-trigger latency) and an
 * alarm on exhausted runs that notifies the ops topic.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTCOMES, type Outcome } from '../contracts/outcome';

/** The namespace the retrier's EMF metrics go to (`POWERTOOLS_METRICS_NAMESPACE`). */
export const DEFAULT_METRICS_NAMESPACE = 'AepDataflowAutoRetry';
/** The retrier's `service` metric dimension (`POWERTOOLS_SERVICE_NAME`). */
export const DEFAULT_SERVICE_NAME = 'aep-dataflow-autoretry';

/** Settings of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The retrier function (errors, throttles, duration). */
  readonly retrier: lambda.IFunction;
  /** Alerts SNS could not deliver to the retrier. */
  readonly subscriptionDeadLetterQueue: sqs.IQueue;
  /** Alerts that failed every attempt of the retrier (its on-failure destination). */
  readonly onFailureQueue: sqs.IQueue;
  /** Delayed re-triggers that failed every receive. */
  readonly retryDeadLetterQueue: sqs.IQueue;
  /**
   * Adobe events the EventBridge route could not publish to the alerts topic.
   * @default - no EventBridge route: not graphed
   */
  readonly eventBridgeDeadLetterQueue?: sqs.IQueue;
  /** The topic the exhausted alarm notifies. */
  readonly opsTopic: sns.ITopic;
  /**
   * Namespace of the retrier's EMF metrics.
   * @default 'AepDataflowAutoRetry'
   */
  readonly metricsNamespace?: string;
  /**
   * Value of the `service` dimension of the retrier's EMF metrics.
   * @default 'aep-dataflow-autoretry'
   */
  readonly serviceName?: string;
  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Exhausted runs within {@link exhaustedAlarmPeriod} at which the alarm fires: more runs than
   * this kept failing after every re-trigger the policy allows, which points at a broken source
   * rather than a passing fault.
   * @default 5
   */
  readonly exhaustedAlarmThreshold?: number;
  /**
   * The window the exhausted runs are counted in.
   * @default Duration.hours(1)
   */
  readonly exhaustedAlarmPeriod?: Duration;
  /**
   * Other alarms to show in the dashboard's alarm status row, e.g. `Object.values(autoRetry.alarms)`.
   * @default - only the exhausted alarm
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * Period of the graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/** Width of a full dashboard row (CloudWatch's grid). */
const ROW = 24;

/**
 * A CloudWatch dashboard for the retrier and an alarm on exhausted runs.
 *
 * @example
 * new OperationsDashboard(this, 'Operations', {
 *   retrier: autoRetry.retrier,
 *   subscriptionDeadLetterQueue: autoRetry.subscriptionDeadLetterQueue,
 *   onFailureQueue: autoRetry.onFailureQueue,
 *   retryDeadLetterQueue: autoRetry.retryDeadLetterQueue,
 *   opsTopic: autoRetry.opsTopic,
 *   alarms: Object.values(autoRetry.alarms),
 * });
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Fires when {@link OperationsDashboardProps.exhaustedAlarmThreshold} runs are exhausted within the period. */
  public readonly exhaustedAlarm: cloudwatch.Alarm;
  private readonly namespace: string;
  private readonly serviceName: string;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    this.serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
    this.period = props.period ?? Duration.minutes(5);
    const threshold = props.exhaustedAlarmThreshold ?? 5;
    const alarmPeriod = props.exhaustedAlarmPeriod ?? Duration.hours(1);
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new Error(`exhaustedAlarmThreshold must be a whole number of at least 1, got ${threshold}`);
    }
    if (alarmPeriod.toSeconds() < 60 || alarmPeriod.toSeconds() % 60 !== 0) {
      throw new Error('exhaustedAlarmPeriod must be whole minutes, at least 1 minute');
    }

    this.exhaustedAlarm = new cloudwatch.Alarm(this, 'ExhaustedAlarm', {
      // No label: a labelled metric would make the alarm a metric-math alarm.
      metric: this.retrierMetric('exhausted', { period: alarmPeriod }),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means no run was exhausted.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${threshold} or more failed runs exhausted their re-triggers within ${alarmPeriod.toHumanString()}: a source keeps failing. Read the exhausted outcomes (their chains of error codes), fix the source, then "aep-autoretry retry" the runs.`,
    });
    this.exhaustedAlarm.addAlarmAction(new SnsAction(props.opsTopic));

    const queues: [string, sqs.IQueue][] = [
      ['subscription DLQ', props.subscriptionDeadLetterQueue],
      ['on-failure queue', props.onFailureQueue],
      ['retry DLQ', props.retryDeadLetterQueue],
      ...(props.eventBridgeDeadLetterQueue
        ? [['EventBridge DLQ', props.eventBridgeDeadLetterQueue] as [string, sqs.IQueue]]
        : []),
    ];
    const fn = props.retrier;
    const graph = (
      title: string,
      width: number,
      left: cloudwatch.IMetric[],
      extra: Omit<cloudwatch.GraphWidgetProps, 'title' | 'width' | 'left'> = {},
    ) => new cloudwatch.GraphWidget({ title, width, height: 6, left, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: ROW,
            height: 3,
            alarms: [this.exhaustedAlarm, ...(props.alarms ?? [])],
          }),
        ],
        [
          graph(
            'Outcomes',
            16,
            [
              ...OUTCOMES.map((outcome) => this.outcomeMetric(outcome)),
              this.retrierMetric('kept_for_retry', { label: 'kept for retry (thrown)' }),
            ],
            { stacked: false, leftYAxis: { min: 0, label: 'alerts' } },
          ),
          graph('Exhausted runs', 8, [this.outcomeMetric('exhausted', { period: alarmPeriod })], {
            leftYAxis: { min: 0, label: 'runs' },
            leftAnnotations: [{ value: threshold, label: 'alarm threshold', color: cloudwatch.Color.RED }],
          }),
        ],
        [
          graph(
            'Dead-letter queue depth',
            12,
            queues.map(([label, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({
                label,
                period: this.period,
                statistic: cloudwatch.Stats.MAXIMUM,
              }),
            ),
            { leftYAxis: { min: 0, label: 'messages' } },
          ),
          graph(
            'Retrier errors and throttles',
            12,
            [
              fn.metricErrors({ label: 'errors', period: this.period, statistic: cloudwatch.Stats.SUM }),
              fn.metricThrottles({
                label: 'throttles',
                period: this.period,
                statistic: cloudwatch.Stats.SUM,
              }),
            ],
            {
              leftYAxis: { min: 0, label: 'count' },
              right: [
                fn.metricInvocations({
                  label: 'invocations',
                  period: this.period,
                  statistic: cloudwatch.Stats.SUM,
                }),
              ],
              rightYAxis: { min: 0, label: 'invocations' },
            },
          ),
        ],
        [
          graph(
            'Retrier duration',
            12,
            [cloudwatch.Stats.p(50), cloudwatch.Stats.p(99)].map((statistic) =>
              fn.metricDuration({ label: `duration ${statistic}`, period: this.period, statistic }),
            ),
            { leftYAxis: { min: 0, label: 'ms' } },
          ),
          graph(
            'Re-trigger latency (alert to new run)',
            12,
            [cloudwatch.Stats.p(50), cloudwatch.Stats.p(99)].map((statistic) =>
              this.retrierMetric('retrigger_latency', {
                label: `retrigger_latency ${statistic}`,
                statistic,
              }),
            ),
            { leftYAxis: { min: 0, label: 'ms' } },
          ),
        ],
      ],
    });
  }

  /**
   * The count of one outcome (the retrier's EMF metric of that name), summed per period.
   * @param outcome one of the outcomes in `contracts/outcome.ts`
   */
  outcomeMetric(outcome: Outcome, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.retrierMetric(outcome, { label: outcome, ...props });
  }

  /** One of the retrier's EMF metrics, in its namespace with its `service` dimension. */
  retrierMetric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { service: this.serviceName },
      period: this.period,
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }
}
