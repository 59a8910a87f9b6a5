/**
 * The reusable L3 construct: AEP dataflow-run failure alerts on SNS in, re-triggered runs out,
 * with a ledger for exactly-once, a delay queue for backoff, dead-letter queues and alarms.
 */
import { Duration, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGRESS_ENV, RETRIER_ENV, SWEEP_ENV } from '../contracts/environment';
import { type RetryPolicy, type RetryPolicyInput, resolveRetryPolicy } from '../contracts/retry-policy';
import {
  ADOBE_FAILURE_EVENT_PATTERN,
  ADOBE_IO_EVENTS_KEY_ORIGIN,
  type AlertRouteSettings,
  checkAlertRoutes,
  type EventBridgeRouteProps,
  type MissedAlertSweepProps,
  type WebhookIngressProps,
} from './alert-routes';
import { bundledFunctionProps, type LambdaEntryName } from './bundling';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME, OperationsDashboard } from './operations-dashboard';

/** Adobe's production Flow Service base URL. */
export const DEFAULT_FLOW_SERVICE_URL = 'https://platform.adobe.io/data/foundation/flowservice';
/** Adobe's production IMS token endpoint (OAuth Server-to-Server). */
export const DEFAULT_IMS_TOKEN_URL = 'https://ims-na1.adobelogin.com/ims/token/v3';
/** Name of the secret the construct creates when none is given. */
export const DEFAULT_CREDENTIALS_SECRET_NAME = 'aep-dataflow-autoretry/credentials';
/** What the created secret holds until the user fills it in. */
export const CREDENTIALS_PLACEHOLDER = { clientId: '', clientSecret: '', orgId: '', scopes: '' } as const;

/** The ledger's partition key and TTL attribute: the retrier writes items of this shape. */
export const LEDGER_PARTITION_KEY = 'pk';
/** TTL attribute of the ledger (epoch seconds). */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/** Most delayed re-triggers processed at once: delayed work is not urgent and Adobe rate-limits. */
const RETRY_QUEUE_MAX_CONCURRENCY = 5;
/** Lambda's event source guidance: queue visibility at least six times the function timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Receives of a delayed re-trigger before it is parked in the retry dead-letter queue. */
const RETRY_QUEUE_MAX_RECEIVES = 5;
/** The longest SQS keeps a message: dead letters wait that long for a human. */
const DEAD_LETTER_RETENTION = Duration.days(14);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/**
 * The ingress answers I/O Events within its 10-second limit (its calls give up after 7 s); the
 * function timeout only catches what that budget cannot, such as a stuck cold start.
 */
const INGRESS_TIMEOUT = Duration.seconds(9);
/** A sweep lists a few pages per sandbox at a few calls a second: minutes at most. */
const SWEEP_TIMEOUT = Duration.minutes(5);
/** Days an `EVENT#` de-duplication item lives: I/O Events redelivers for 24 hours at most. */
const EVENT_TTL_DAYS = 3;
/** EventBridge keeps retrying a failed delivery to the topic for up to a day, then dead-letters it. */
const EVENTBRIDGE_MAX_EVENT_AGE = Duration.hours(24);

/** Settings of {@link DataflowAutoRetry}. Every one is optional. */
export interface DataflowAutoRetryProps {
  /**
   * An existing topic AEP failure alerts arrive on. Give this, {@link alertsTopicArn}, or neither.
   * @default - a new SSL-only topic encrypted with {@link encryptionKey}
   */
  readonly alertsTopic?: sns.ITopic;
  /**
   * ARN of an existing topic AEP failure alerts arrive on, imported. Give this, {@link alertsTopic}, or neither.
   * @default - a new SSL-only topic encrypted with {@link encryptionKey}
   */
  readonly alertsTopicArn?: string;
  /**
   * The secret holding the OAuth Server-to-Server credential(s): `{"clientId","clientSecret","orgId","scopes"}`
   * or an array of them. Give at most one of this, {@link credentialsSecretName} and {@link credentialsSecretArn}.
   * A secret encrypted with a customer-managed key must carry that key (`Secret.fromSecretAttributes`)
   * so the function is allowed to decrypt it.
   * @default - a new secret named `aep-dataflow-autoretry/credentials` holding an empty template to
   * fill in; it is retained when the stack is deleted
   */
  readonly credentialsSecret?: secretsmanager.ISecret;
  /**
   * Name of an existing secret with the credential(s), imported.
   * @default - see {@link credentialsSecret}
   */
  readonly credentialsSecretName?: string;
  /**
   * ARN of an existing secret with the credential(s), imported. The full ARN (with its 6-character
   * suffix) gives the tightest grant.
   * @default - see {@link credentialsSecret}
   */
  readonly credentialsSecretArn?: string;
  /**
   * Flow Service base URL. `https` only; `http` is accepted for loopback hosts (local emulators).
   * @default 'https://platform.adobe.io/data/foundation/flowservice'
   */
  readonly flowServiceUrl?: string;
  /**
   * IMS token endpoint for the OAuth Server-to-Server `client_credentials` grant. `https` only;
   * `http` is accepted for loopback hosts.
   * @default 'https://ims-na1.adobelogin.com/ims/token/v3'
   */
  readonly imsTokenUrl?: string;
  /**
   * The retry policy; any field left out takes its default. Validated at synth time: a bad
   * field fails `cdk synth` with a message naming it.
   * @default - `DEFAULT_RETRY_POLICY` (3 attempts, delays 0 s, 5 min, 30 min)
   */
  readonly retryPolicy?: RetryPolicyInput;
  /**
   * Decide and publish `dry_run` outcomes without re-triggering anything.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Memory of the retrier function, in MB (128 to 10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of the retrier function, from 10 seconds to 15 minutes. The delay queue's visibility
   * timeout is six times this.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted. Retained by default: the logs are the
   * audit trail of what was re-triggered, and they still expire after {@link logRetention}.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Lambda's own retries of an alert whose processing threw (transient failures), 0 to 2.
   * @default 2
   */
  readonly asyncRetryAttempts?: number;
  /**
   * How long Lambda keeps retrying an alert before it goes to the on-failure queue (1 minute to 6 hours).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * Days a ledger item lives after its last write (DynamoDB TTL). Must outlast a whole retry chain.
   * @default 30
   */
  readonly ledgerTtlDays?: number;
  /**
   * Deletion protection of the ledger table.
   * @default true
   */
  readonly ledgerDeletionProtection?: boolean;
  /**
   * What happens to the ledger table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly ledgerRemovalPolicy?: RemovalPolicy;
  /**
   * Concurrency reserved for (and capping) the retrier; a cap keeps bursts of alerts from
   * hitting Adobe's rate limits all at once.
   * @default - no reservation: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * An email address subscribed to the ops topic the alarms notify. The address must confirm
   * the subscription from the email AWS sends.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Exhausted runs within an hour at which the `exhausted` alarm notifies the ops topic.
   * @default 5
   */
  readonly exhaustedAlarmThreshold?: number;
  /**
   * The KMS key that encrypts the alerts, outcomes and ops topics. AWS's managed `alias/aws/sns`
   * key cannot be used: CloudWatch alarms cannot publish to topics encrypted with it.
   * A key you pass must let `sns.amazonaws.com` and `cloudwatch.amazonaws.com` use
   * `kms:GenerateDataKey` and `kms:Decrypt`.
   * @default - a customer-managed key with yearly rotation (about 1 USD a month plus requests),
   * scheduled for deletion 30 days after the stack is deleted
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AWS X-Ray tracing of the retrier.
   * @default lambda.Tracing.DISABLED
   */
  readonly tracing?: lambda.Tracing;
  /**
   * The Adobe I/O Events webhook: a public Lambda function URL (output `WebhookUrl`) that answers
   * the challenge, checks every delivery's digital signature and recipient, and forwards failure
   * alerts to the alerts topic. Register its URL in the Developer Console.
   * @default - no webhook
   */
  readonly webhook?: WebhookIngressProps;
  /**
   * The Amazon EventBridge route: a rule on Adobe's partner event bus that sends flow-run failure
   * events (their `detail`) to the alerts topic.
   * @default - no rule
   */
  readonly eventBridge?: EventBridgeRouteProps;
  /**
   * The missed-alert sweep: a scheduled function that lists recent failed runs per sandbox and
   * publishes an alert for each run the ledger has never seen (lost alerts, non-production
   * sandboxes, which AEP never alerts on).
   * @default - no sweep
   */
  readonly sweep?: MissedAlertSweepProps;
}

/** Environment every function of the construct runs with: Powertools settings and source maps. */
const FUNCTION_RUNTIME_ENV = {
  POWERTOOLS_SERVICE_NAME: DEFAULT_SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
} as const;

/** The alarms of {@link DataflowAutoRetry}; each notifies the ops topic. */
export interface DataflowAutoRetryAlarms {
  /** The retrier reported at least one error in 5 minutes. */
  readonly errors: cloudwatch.Alarm;
  /** The retrier was throttled at least once in 5 minutes. */
  readonly throttles: cloudwatch.Alarm;
  /** Alerts SNS could not deliver to the function are waiting in the subscription DLQ. */
  readonly subscriptionDeadLetterQueue: cloudwatch.Alarm;
  /** Alerts that failed every async attempt are waiting in the on-failure queue. */
  readonly onFailureQueue: cloudwatch.Alarm;
  /** Delayed re-triggers that failed every receive are waiting in the retry DLQ. */
  readonly retryDeadLetterQueue: cloudwatch.Alarm;
  /** The webhook ingress crashed or timed out (present with {@link DataflowAutoRetryProps.webhook}). */
  readonly ingressErrors?: cloudwatch.Alarm;
  /** A sweep failed in some org or sandbox (present with {@link DataflowAutoRetryProps.sweep}). */
  readonly sweepErrors?: cloudwatch.Alarm;
  /** EventBridge could not publish Adobe events to the alerts topic (with {@link DataflowAutoRetryProps.eventBridge}). */
  readonly eventBridgeDeadLetterQueue?: cloudwatch.Alarm;
  /** More runs than {@link DataflowAutoRetryProps.exhaustedAlarmThreshold} exhausted their re-triggers in an hour. */
  readonly exhausted: cloudwatch.Alarm;
}

/**
 * Re-triggers failed AEP batch dataflow runs announced on an SNS topic, through Adobe's Flow
 * Service, and publishes one outcome per failed run on an outcomes topic.
 *
 * Cost note: besides pay-per-use Lambda, SNS, SQS and DynamoDB, the default customer-managed KMS
 * key costs about 1 USD a month and the created secret about 0.40 USD a month.
 *
 * @example
 * new DataflowAutoRetry(this, 'AutoRetry', {
 *   credentialsSecretName: 'aep/prod-credentials',
 *   retryPolicy: { maxAttempts: 2 },
 *   alarmEmail: 'data-platform@example.com',
 * });
 */
export class DataflowAutoRetry extends Construct {
  /** The topic failure alerts arrive on (created or imported). */
  public readonly alertsTopic: sns.ITopic;
  /** The topic one outcome message per failed run is published to. */
  public readonly outcomesTopic: sns.Topic;
  /** The topic the alarms notify. */
  public readonly opsTopic: sns.Topic;
  /** The key encrypting the created topics; publishers outside the stack need to use it. */
  public readonly encryptionKey: kms.IKey;
  /** The retrier function. */
  public readonly retrier: NodejsFunction;
  /** The DynamoDB ledger: claims, lineage and pauses, keyed by `pk`. */
  public readonly ledger: dynamodb.Table;
  /** The delay queue carrying scheduled re-triggers back to the retrier. */
  public readonly retryQueue: sqs.Queue;
  /** Where delayed re-triggers end after repeated failed receives. */
  public readonly retryDeadLetterQueue: sqs.Queue;
  /** Where SNS parks alerts it could not deliver to the function. */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Where Lambda puts alerts that failed every async attempt. */
  public readonly onFailureQueue: sqs.Queue;
  /** The secret with the OAuth Server-to-Server credential(s) (created or imported). */
  public readonly credentialsSecret: secretsmanager.ISecret;
  /** The retrier's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The resolved retry policy, exactly as serialized into `RETRY_POLICY`. */
  public readonly retryPolicy: RetryPolicy;
  /** The alarms, each notifying {@link opsTopic}. */
  public readonly alarms: DataflowAutoRetryAlarms;
  /** The CloudWatch dashboard and the exhausted-runs alarm. */
  public readonly operations: OperationsDashboard;
  /** The webhook ingress function, when {@link DataflowAutoRetryProps.webhook} is set. */
  public readonly ingress?: NodejsFunction;
  /** The webhook's public function URL (auth NONE: deliveries are checked by signature). */
  public readonly webhookUrl?: lambda.FunctionUrl;
  /** The rule on Adobe's partner event bus, when {@link DataflowAutoRetryProps.eventBridge} is set. */
  public readonly eventBridgeRule?: events.Rule;
  /** Where EventBridge parks Adobe events it could not publish to the alerts topic. */
  public readonly eventBridgeDeadLetterQueue?: sqs.Queue;
  /** The missed-alert sweep function, when {@link DataflowAutoRetryProps.sweep} is set. */
  public readonly sweepFunction?: NodejsFunction;
  /** The schedule that runs the sweep. */
  public readonly sweepRule?: events.Rule;

  constructor(scope: Construct, id: string, props: DataflowAutoRetryProps = {}) {
    super(scope, id);
    const settings = validateProps(props);
    this.retryPolicy = settings.retryPolicy;

    this.encryptionKey = props.encryptionKey ?? this.createKey();

    const ownsAlertsTopic = props.alertsTopic === undefined && props.alertsTopicArn === undefined;
    this.alertsTopic =
      props.alertsTopic ??
      (props.alertsTopicArn !== undefined
        ? sns.Topic.fromTopicArn(this, 'AlertsTopic', props.alertsTopicArn)
        : this.createTopic('AlertsTopic', 'AEP dataflow run failure alerts'));
    this.outcomesTopic = this.createTopic('OutcomesTopic', 'AEP dataflow auto-retry outcomes');
    this.opsTopic = this.createTopic('OpsTopic', 'AEP dataflow auto-retry alarms');
    // The SSL-only topic policy replaces SNS's default one, which is what let same-account alarms
    // publish; CloudWatch needs its own allow, limited to this account's alarms.
    this.opsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.opsTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }

    this.credentialsSecret = this.resolveSecret(props);

    this.subscriptionDeadLetterQueue = this.createDeadLetterQueue('SubscriptionDeadLetterQueue');
    this.onFailureQueue = this.createDeadLetterQueue('OnFailureQueue');
    this.retryDeadLetterQueue = this.createDeadLetterQueue('RetryDeadLetterQueue');
    this.retryQueue = new sqs.Queue(this, 'RetryQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(settings.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.retryDeadLetterQueue, maxReceiveCount: RETRY_QUEUE_MAX_RECEIVES },
    });

    this.ledger = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.ledgerDeletionProtection ?? true,
      removalPolicy: props.ledgerRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.logGroup = new logs.LogGroup(this, 'RetrierLogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An explicit role scoped to this log group replaces AWSLambdaBasicExecutionRole, whose
    // logs:* on every log group is broader than the function needs.
    const role = new iam.Role(this, 'RetrierRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the AEP dataflow auto-retry function',
    });
    this.logGroup.grantWrite(role);

    this.retrier = new NodejsFunction(this, 'Retrier', {
      description: 'Re-triggers failed AEP dataflow runs and publishes the outcome',
      ...bundledFunctionProps('retrier'),
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      role,
      logGroup: this.logGroup,
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: settings.asyncRetryAttempts,
      maxEventAge: settings.maxEventAge,
      onFailure: new SqsDestination(this.onFailureQueue),
      environment: {
        [RETRIER_ENV.flowServiceUrl]: settings.flowServiceUrl,
        [RETRIER_ENV.imsTokenUrl]: settings.imsTokenUrl,
        [RETRIER_ENV.retryPolicy]: JSON.stringify(settings.retryPolicy),
        [RETRIER_ENV.dryRun]: String(props.dryRun ?? false),
        [RETRIER_ENV.ledgerTtlDays]: String(settings.ledgerTtlDays),
        ...FUNCTION_RUNTIME_ENV,
      },
    });
    const fn = this.retrier;

    // Each variable sits beside the one grant it needs.
    fn.addEnvironment(RETRIER_ENV.credentialsSecretId, settings.secretId ?? this.credentialsSecret.secretArn);
    this.credentialsSecret.grantRead(fn);

    fn.addEnvironment(RETRIER_ENV.outcomeTopicArn, this.outcomesTopic.topicArn);
    this.grantPublish(this.outcomesTopic, fn);

    fn.addEnvironment(RETRIER_ENV.ledgerTableName, this.ledger.tableName);
    // The function claims runs with TransactWriteItems, which is authorised per item action.
    this.ledger.grant(
      fn,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    );

    fn.addEnvironment(RETRIER_ENV.retryQueueUrl, this.retryQueue.queueUrl);
    this.retryQueue.grantSendMessages(fn);

    fn.addEventSource(
      new SqsEventSource(this.retryQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: retryQueueConcurrency(props.reservedConcurrentExecutions),
      }),
    );

    this.alertsTopic.addSubscription(
      new LambdaSubscription(fn, { deadLetterQueue: this.subscriptionDeadLetterQueue }),
    );

    const routes = settings.routes;
    if (routes.webhook) {
      this.ingress = this.createIngress(routes.webhook, props);
      this.webhookUrl = this.ingress.addFunctionUrl({
        // Adobe I/O Events cannot sign requests with SigV4: every POST is authenticated by its
        // RSA digital signature and recipient instead, inside the function.
        authType: lambda.FunctionUrlAuthType.NONE,
        invokeMode: lambda.InvokeMode.BUFFERED,
      });
    }
    if (routes.eventBridge) {
      const { rule, deadLetterQueue } = this.createEventBridgeRoute(routes.eventBridge);
      this.eventBridgeRule = rule;
      this.eventBridgeDeadLetterQueue = deadLetterQueue;
    }
    if (routes.sweep) {
      const { fn, rule } = this.createSweep(routes.sweep, props, settings);
      this.sweepFunction = fn;
      this.sweepRule = rule;
    }
    if (ownsAlertsTopic && this.alertsTopic instanceof sns.Topic)
      this.restrictAlertPublishers(this.alertsTopic);

    const alarms = this.createAlarms();
    this.operations = new OperationsDashboard(this, 'Operations', {
      retrier: this.retrier,
      subscriptionDeadLetterQueue: this.subscriptionDeadLetterQueue,
      onFailureQueue: this.onFailureQueue,
      retryDeadLetterQueue: this.retryDeadLetterQueue,
      opsTopic: this.opsTopic,
      eventBridgeDeadLetterQueue: this.eventBridgeDeadLetterQueue,
      exhaustedAlarmThreshold: props.exhaustedAlarmThreshold,
      alarms: Object.values(alarms).filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined),
    });
    this.alarms = { ...alarms, exhausted: this.operations.exhaustedAlarm };
    this.acknowledgeNagFindings(props, role);
  }

  /**
   * Lets `grantee` publish failure alerts to {@link alertsTopic}, including use of the key that
   * encrypts it when the construct created the topic (an ingress function, for example).
   */
  public grantPublishAlerts(grantee: iam.IGrantable): iam.Grant {
    return this.grantPublish(this.alertsTopic, grantee);
  }

  /**
   * A function of the alert routes (ingress, sweep): its own log group and a role that may write
   * only there, like the retrier's.
   */
  private createRouteFunction(
    id: string,
    entry: LambdaEntryName,
    props: DataflowAutoRetryProps,
    options: {
      readonly description: string;
      readonly timeout: Duration;
      readonly environment: Record<string, string>;
      readonly retryAttempts?: number;
      readonly reservedConcurrentExecutions?: number;
    },
  ): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, id, {
      description: options.description,
      ...bundledFunctionProps(entry),
      memorySize: 256,
      timeout: options.timeout,
      role,
      logGroup,
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: options.reservedConcurrentExecutions,
      retryAttempts: options.retryAttempts,
      environment: {
        ...options.environment,
        ...FUNCTION_RUNTIME_ENV,
      },
    });
    this.acknowledgeFunctionFindings(fn, role, props);
    return fn;
  }

  /**
   * Lets `fn` use the ledger items whose key starts with `prefix` only, through the
   * `dynamodb:LeadingKeys` condition: the ingress touches `EVENT#` items, the sweep reads `RUN#` ones.
   */
  private grantLedgerItems(fn: lambda.IFunction, prefix: string, actions: string[]): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [this.ledger.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
      }),
    );
  }

  private createIngress(settings: NonNullable<AlertRouteSettings['webhook']>, props: DataflowAutoRetryProps) {
    const fn = this.createRouteFunction('Ingress', 'ingress', props, {
      description:
        'Adobe I/O Events webhook: checks signatures and forwards AEP failure alerts to the alerts topic',
      timeout: INGRESS_TIMEOUT,
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      environment: {
        [INGRESS_ENV.clientIds]: settings.clientIds.join(','),
        // Fixed here: keys from anywhere else would let anyone sign alerts.
        [INGRESS_ENV.keyOrigin]: ADOBE_IO_EVENTS_KEY_ORIGIN,
        [INGRESS_ENV.eventTtlDays]: String(EVENT_TTL_DAYS),
      },
    });
    fn.addEnvironment(INGRESS_ENV.alertsTopicArn, this.alertsTopic.topicArn);
    this.grantPublish(this.alertsTopic, fn);
    fn.addEnvironment(INGRESS_ENV.ledgerTableName, this.ledger.tableName);
    this.grantLedgerItems(fn, 'EVENT#', ['dynamodb:GetItem', 'dynamodb:PutItem']);
    return fn;
  }

  private createEventBridgeRoute(settings: NonNullable<AlertRouteSettings['eventBridge']>) {
    const bus = events.EventBus.fromEventBusName(this, 'AdobePartnerEventBus', settings.partnerEventBusName);
    const rule = new events.Rule(this, 'AdobeFailureAlertsRule', {
      eventBus: bus,
      description: 'AEP Sources Flow Run Failure events from Adobe I/O Events to the alerts topic',
      // Replaced below: the typed pattern has no `$or`.
      eventPattern: { source: events.Match.prefix('aws.partner/developer.adobe.com') },
    });
    (rule.node.defaultChild as events.CfnRule).addPropertyOverride(
      'EventPattern',
      ADOBE_FAILURE_EVENT_PATTERN,
    );

    const deadLetterQueue = this.createDeadLetterQueue('EventBridgeDeadLetterQueue');
    // EventBridge publishes as this role, a principal of this account, so the topic policy needs
    // no allowance for the events service (which any account's rule could use).
    const role = new iam.Role(this, 'EventBridgeDeliveryRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Publishes AEP failure events from the Adobe partner event bus to the alerts topic',
    });
    this.grantPublish(this.alertsTopic, role);
    const topicArn = this.alertsTopic.topicArn;
    rule.addTarget({
      bind: () => ({
        arn: topicArn,
        role,
        // The retrier normalises any envelope; `detail` is the alert Adobe sent.
        input: events.RuleTargetInput.fromEventPath('$.detail'),
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
        retryPolicy: {
          maximumEventAgeInSeconds: EVENTBRIDGE_MAX_EVENT_AGE.toSeconds(),
          maximumRetryAttempts: 185,
        },
      }),
    });
    deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTheAdobeRuleToDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    return { rule, deadLetterQueue };
  }

  private createSweep(
    sweep: NonNullable<AlertRouteSettings['sweep']>,
    props: DataflowAutoRetryProps,
    settings: Settings,
  ) {
    const fn = this.createRouteFunction('Sweep', 'sweep', props, {
      description:
        'Missed-alert sweep: publishes an alert for each recent failed AEP run the ledger has never seen',
      timeout: SWEEP_TIMEOUT,
      // The next scheduled sweep is the retry; Lambda's would only overlap it.
      retryAttempts: 0,
      environment: {
        [SWEEP_ENV.flowServiceUrl]: settings.flowServiceUrl,
        [SWEEP_ENV.imsTokenUrl]: settings.imsTokenUrl,
        [SWEEP_ENV.sandboxes]: sweep.sandboxes.join(','),
        [SWEEP_ENV.lookbackMinutes]: String(sweep.lookback.toMinutes()),
        [SWEEP_ENV.maxRuns]: String(sweep.maxRunsPerSweep),
        [SWEEP_ENV.maxPublishes]: String(sweep.maxPublishesPerSweep),
        [SWEEP_ENV.maxCallsPerSecond]: String(sweep.maxCallsPerSecond),
      },
    });
    fn.addEnvironment(SWEEP_ENV.credentialsSecretId, settings.secretId ?? this.credentialsSecret.secretArn);
    this.credentialsSecret.grantRead(fn);
    fn.addEnvironment(SWEEP_ENV.alertsTopicArn, this.alertsTopic.topicArn);
    this.grantPublish(this.alertsTopic, fn);
    fn.addEnvironment(SWEEP_ENV.ledgerTableName, this.ledger.tableName);
    this.grantLedgerItems(fn, 'RUN#', ['dynamodb:GetItem']);

    const rule = new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the AEP missed-alert sweep',
      schedule: events.Schedule.rate(sweep.schedule),
      targets: [new eventsTargets.LambdaFunction(fn)],
    });
    return { fn, rule };
  }

  /**
   * Denies `sns:Publish` on the alerts topic to every principal outside this account. Whoever can
   * publish there can make the tool re-trigger runs, so only this account's principals may: the
   * ingress, the sweep and the EventBridge delivery role of this stack, and IAM principals of the
   * account that an administrator allowed. Service principals carry no `aws:PrincipalAccount` and
   * are denied too, which closes the confused-deputy path through a rule or bucket of another account.
   */
  private restrictAlertPublishers(topic: sns.Topic): void {
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishFromOutsideThisAccount',
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': Stack.of(this).account } },
      }),
    );
  }

  /**
   * Like `topic.grantPublish(grantee)`, but with the two KMS actions SNS calls on a publisher's
   * behalf (`GenerateDataKey`, `Decrypt`) instead of the `GenerateDataKey*` wildcard CDK grants.
   */
  private grantPublish(topic: sns.ITopic, grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [topic.topicArn],
      resource: topic,
    });
    if (topic instanceof sns.Topic && topic.masterKey) {
      topic.masterKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    }
    return grant;
  }

  private createKey(): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: 'Encrypts the alerts, outcomes and ops topics of aep-dataflow-autoretry',
      enableKeyRotation: true,
      // Only transient SNS messages are encrypted with it, so nothing retained depends on it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    // SNS delivers and CloudWatch alarms publish; without these statements alarm notifications
    // to the encrypted ops topic fail silently. (EventBridge publishes through a role of its own.)
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAwsServicesToUseTheTopics',
        principals: [
          new iam.ServicePrincipal('sns.amazonaws.com'),
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        ],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    return key;
  }

  private createTopic(id: string, displayName: string): sns.Topic {
    return new sns.Topic(this, id, { displayName, enforceSSL: true, masterKey: this.encryptionKey });
  }

  /**
   * Queues use SQS-managed encryption rather than the KMS key: SNS (subscription DLQ) and Lambda
   * (on-failure destination, event source) then need no key grants, and there are no KMS request charges.
   */
  private createDeadLetterQueue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
  }

  private resolveSecret(props: DataflowAutoRetryProps): secretsmanager.ISecret {
    if (props.credentialsSecret) return props.credentialsSecret;
    if (props.credentialsSecretArn !== undefined) {
      return secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'CredentialsSecret',
        props.credentialsSecretArn,
      );
    }
    if (props.credentialsSecretName !== undefined) {
      return secretsmanager.Secret.fromSecretNameV2(this, 'CredentialsSecret', props.credentialsSecretName);
    }
    return new secretsmanager.Secret(this, 'CredentialsSecret', {
      secretName: DEFAULT_CREDENTIALS_SECRET_NAME,
      description:
        'AEP OAuth Server-to-Server credential for aep-dataflow-autoretry: fill in clientId, clientSecret, orgId and scopes (an array of such objects for several orgs)',
      // A template of empty fields, not a secret: the user puts the real values in after deploying.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify(CREDENTIALS_PLACEHOLDER)),
      // The filled-in credential must survive `cdk destroy` and redeploys.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private createAlarms(): Omit<DataflowAutoRetryAlarms, 'exhausted'> {
    const period = Duration.minutes(5);
    const action = new SnsAction(this.opsTopic);
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no invocations or an empty queue: nothing is wrong.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      return created;
    };
    const queueDepth = (queue: sqs.Queue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM });
    return {
      errors: alarm(
        'ErrorsAlarm',
        this.retrier.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        'The retrier threw: alerts are being retried by Lambda and may reach the on-failure queue. Check its logs.',
      ),
      throttles: alarm(
        'ThrottlesAlarm',
        this.retrier.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
        'The retrier was throttled: raise its reserved concurrency or the account limit.',
      ),
      subscriptionDeadLetterQueue: alarm(
        'SubscriptionDeadLetterQueueAlarm',
        queueDepth(this.subscriptionDeadLetterQueue),
        'SNS could not deliver failure alerts to the retrier. Fix the cause, then redrive the queue.',
      ),
      onFailureQueue: alarm(
        'OnFailureQueueAlarm',
        queueDepth(this.onFailureQueue),
        'Failure alerts failed every attempt of the retrier. Read the logs, then redrive the queue.',
      ),
      retryDeadLetterQueue: alarm(
        'RetryDeadLetterQueueAlarm',
        queueDepth(this.retryDeadLetterQueue),
        'Delayed re-triggers failed every receive. Read the logs, then redrive the queue.',
      ),
      ...(this.ingress
        ? {
            ingressErrors: alarm(
              'IngressErrorsAlarm',
              this.ingress.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
              'The webhook ingress crashed or timed out; I/O Events retries for 24 hours, then drops events. Check its logs.',
            ),
          }
        : {}),
      ...(this.sweepFunction
        ? {
            sweepErrors: alarm(
              'SweepErrorsAlarm',
              this.sweepFunction.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
              'A missed-alert sweep could not cover every org and sandbox. Check its logs (credentials, sandbox names, Flow Service).',
            ),
          }
        : {}),
      ...(this.eventBridgeDeadLetterQueue
        ? {
            eventBridgeDeadLetterQueue: alarm(
              'EventBridgeDeadLetterQueueAlarm',
              queueDepth(this.eventBridgeDeadLetterQueue),
              'EventBridge could not publish Adobe failure events to the alerts topic. Fix the cause (topic policy, key), then run "aep-autoretry redrive --queue eventbridge".',
            ),
          }
        : {}),
    };
  }

  /** cdk-nag findings that cannot be fixed, acknowledged on the one resource each concerns. */
  private acknowledgeNagFindings(props: DataflowAutoRetryProps, role: iam.Role): void {
    this.acknowledgeFunctionFindings(this.retrier, role, props);
    if (
      this.credentialsSecret instanceof secretsmanager.Secret &&
      this.credentialsSecret.node.scope === this
    ) {
      Validations.of(this.credentialsSecret.node.defaultChild ?? this.credentialsSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An AEP OAuth Server-to-Server client secret is rotated in the Adobe Developer Console, not by a Lambda rotation function; the user then updates this secret.',
      });
    }
    const deadLetterQueues = [this.subscriptionDeadLetterQueue, this.onFailureQueue];
    if (this.eventBridgeDeadLetterQueue) deadLetterQueues.push(this.eventBridgeDeadLetterQueue);
    for (const queue of deadLetterQueues) {
      Validations.of(queue.node.defaultChild ?? queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (of the SNS subscription, the Lambda on-failure destination or the EventBridge target), which cdk-nag cannot see; it has no DLQ of its own by design.',
      });
    }
  }

  /** The findings every function of the construct shares: its runtime, and X-Ray's `*` resource. */
  private acknowledgeFunctionFindings(
    fn: NodejsFunction,
    role: iam.Role,
    props: DataflowAutoRetryProps,
  ): void {
    Validations.of(fn.node.defaultChild ?? fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs24.x is the runtime this app is built, bundled (target node24) and tested on; cdk-nag compares against the newest runtime aws-cdk-lib knows.',
    });
    if (props.tracing !== undefined && props.tracing !== lambda.Tracing.DISABLED) {
      // Tracing adds its statement to the role's default policy: acknowledge it there only.
      const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild ?? role;
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
      });
    }
  }
}

function retryQueueConcurrency(reserved: number | undefined): number {
  // The event source's floor is 2; above the reservation it would only cause throttles.
  return reserved === undefined
    ? RETRY_QUEUE_MAX_CONCURRENCY
    : Math.max(2, Math.min(RETRY_QUEUE_MAX_CONCURRENCY, reserved));
}

interface Settings {
  readonly flowServiceUrl: string;
  readonly imsTokenUrl: string;
  readonly retryPolicy: RetryPolicy;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly asyncRetryAttempts: number;
  readonly maxEventAge: Duration;
  readonly ledgerTtlDays: number;
  readonly secretId: string | undefined;
  readonly routes: AlertRouteSettings;
}

/**
 * Checks every prop and throws one error that lists each problem and its fix, so a bad setting
 * fails `cdk synth` instead of the deploy or the first alert.
 */
function validateProps(props: DataflowAutoRetryProps): Settings {
  const problems: string[] = [];

  if (props.alertsTopic !== undefined && props.alertsTopicArn !== undefined) {
    problems.push('give alertsTopic or alertsTopicArn, not both');
  }
  if (
    props.alertsTopicArn !== undefined &&
    !isTokenOr(props.alertsTopicArn, /^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/)
  ) {
    problems.push(
      `alertsTopicArn must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:aep-alerts, got "${props.alertsTopicArn}"`,
    );
  }

  const secretProps = (
    ['credentialsSecret', 'credentialsSecretName', 'credentialsSecretArn'] as const
  ).filter((name) => props[name] !== undefined);
  if (secretProps.length > 1) {
    problems.push(
      `give at most one of credentialsSecret, credentialsSecretName and credentialsSecretArn, not ${secretProps.join(' and ')}`,
    );
  }
  if (
    props.credentialsSecretArn !== undefined &&
    !isTokenOr(
      props.credentialsSecretArn,
      /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/,
    )
  ) {
    problems.push(
      `credentialsSecretArn must be the full ARN of a secret, ending in its 6-character suffix (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf), got "${props.credentialsSecretArn}"; use credentialsSecretName to import by name`,
    );
  }
  if (
    props.credentialsSecretName !== undefined &&
    !isTokenOr(props.credentialsSecretName, /^[\w/+=.@-]{1,512}$/)
  ) {
    problems.push(
      `credentialsSecretName must be a Secrets Manager name (letters, digits and /_+=.@-), got "${props.credentialsSecretName}"`,
    );
  }

  const flowServiceUrl = props.flowServiceUrl ?? DEFAULT_FLOW_SERVICE_URL;
  const imsTokenUrl = props.imsTokenUrl ?? DEFAULT_IMS_TOKEN_URL;
  for (const [name, value] of [
    ['flowServiceUrl', flowServiceUrl],
    ['imsTokenUrl', imsTokenUrl],
  ] as const) {
    const problem = urlProblem(value);
    if (problem) problems.push(`${name} ${problem}, got "${value}"`);
  }

  let retryPolicy: RetryPolicy | undefined;
  try {
    retryPolicy = resolveRetryPolicy(props.retryPolicy ?? {}, 'retryPolicy');
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }

  const memorySize = props.memorySize ?? 256;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
    problems.push(`memorySize must be a whole number of MB from 128 to 10240, got ${memorySize}`);
  }
  const timeout = props.timeout ?? Duration.seconds(60);
  if (!Token.isUnresolved(timeout.toString()) && (timeout.toSeconds() < 10 || timeout.toSeconds() > 900)) {
    problems.push(`timeout must be from 10 seconds to 15 minutes, got ${timeout.toHumanString()}`);
  }
  const asyncRetryAttempts = props.asyncRetryAttempts ?? 2;
  if (!Number.isInteger(asyncRetryAttempts) || asyncRetryAttempts < 0 || asyncRetryAttempts > 2) {
    problems.push(`asyncRetryAttempts must be 0, 1 or 2 (Lambda's limit), got ${asyncRetryAttempts}`);
  }
  const maxEventAge = props.maxEventAge ?? Duration.hours(6);
  if (maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > 6 * 3600) {
    problems.push(
      `maxEventAge must be from 1 minute to 6 hours (Lambda's limits), got ${maxEventAge.toHumanString()}`,
    );
  }
  const ledgerTtlDays = props.ledgerTtlDays ?? 30;
  if (!Number.isInteger(ledgerTtlDays) || ledgerTtlDays < 1 || ledgerTtlDays > 3650) {
    problems.push(`ledgerTtlDays must be a whole number of days from 1 to 3650, got ${ledgerTtlDays}`);
  } else if (retryPolicy && ledgerTtlDays * 86400 <= chainSeconds(retryPolicy)) {
    problems.push(
      `ledgerTtlDays (${ledgerTtlDays}) must outlast a whole retry chain (${Math.ceil(chainSeconds(retryPolicy) / 86400)} days of delays in retryPolicy), or the ledger forgets runs mid-chain and re-triggers them twice`,
    );
  }
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    problems.push(
      `reservedConcurrentExecutions must be a whole number of at least 1 (0 would stop the function), got ${reserved}`,
    );
  }
  if (props.alarmEmail !== undefined && !isTokenOr(props.alarmEmail, /^[^\s@]+@[^\s@]+\.[^\s@]+$/)) {
    problems.push(`alarmEmail must be an email address such as ops@example.com, got "${props.alarmEmail}"`);
  }

  const routes = checkAlertRoutes(props, ledgerTtlDays);
  problems.push(...routes.problems);

  if (problems.length > 0 || retryPolicy === undefined) {
    throw new Error(`DataflowAutoRetry: invalid props:\n- ${problems.join('\n- ')}`);
  }
  return {
    flowServiceUrl,
    imsTokenUrl,
    retryPolicy,
    memorySize,
    timeout,
    asyncRetryAttempts,
    maxEventAge,
    ledgerTtlDays,
    // By name, the retrier asks for the secret by name: a partial ARN is ambiguous to Secrets Manager.
    secretId: props.credentialsSecretName,
    routes: routes.settings,
  };
}

function isTokenOr(value: string, pattern: RegExp): boolean {
  return Token.isUnresolved(value) || pattern.test(value);
}

/** Why `value` is not an acceptable endpoint, or undefined when it is. */
function urlProblem(value: string): string | undefined {
  if (Token.isUnresolved(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://platform.adobe.io/data/foundation/flowservice';
  }
  if (url.username || url.password) return 'must not hold credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (http is accepted only for localhost, 127.0.0.1 and [::1])';
}

/** The longest a chain of re-triggers can take: every delay, the last one repeating. */
function chainSeconds(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    const delay = policy.delaysSeconds[Math.min(attempt, policy.delaysSeconds.length) - 1] ?? 0;
    total += delay * (1 + policy.jitterRatio);
  }
  return total;
}
