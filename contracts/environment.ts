/**
 * Environment variable names of the functions. The stack sets them, the functions read them, and
 * other parts of the world (dashboards, runbooks, the user's own tooling) refer to them: keep them.
 */

/** Environment of the retrier function. */
export const RETRIER_ENV = {
  /** Flow Service base URL, e.g. `https://platform.adobe.io/data/foundation/flowservice`. */
  flowServiceUrl: 'FLOW_SERVICE_URL',
  /** IMS token endpoint, e.g. `https://ims-na1.adobelogin.com/ims/token/v3`. */
  imsTokenUrl: 'IMS_TOKEN_URL',
  /** Name or ARN of the Secrets Manager secret with the OAuth Server-to-Server credential(s). */
  credentialsSecretId: 'CREDENTIALS_SECRET_ID',
  /** ARN of the SNS topic outcomes are published to. */
  outcomeTopicArn: 'OUTCOME_TOPIC_ARN',
  /** Name of the DynamoDB ledger table. */
  ledgerTableName: 'LEDGER_TABLE_NAME',
  /** URL of the SQS delay queue that carries scheduled re-triggers back to the function. */
  retryQueueUrl: 'RETRY_QUEUE_URL',
  /** The retry policy as JSON; see `contracts/retry-policy.ts`. */
  retryPolicy: 'RETRY_POLICY',
  /** `true` to decide and publish `dry_run` without re-triggering. */
  dryRun: 'DRY_RUN',
  /** Days a ledger item lives after its last write (DynamoDB TTL). Default 30. */
  ledgerTtlDays: 'LEDGER_TTL_DAYS',
} as const;

/** SNS message attribute that carries the outcome name on every outcome message. */
export const OUTCOME_ATTRIBUTE = 'outcome';

/**
 * SNS message attribute that carries the Adobe I/O Events event id (`x-adobe-event-id`, the same
 * across I/O Events' redeliveries) beside an alert the webhook ingress forwarded. The retrier reads
 * it as the alert's event id.
 */
export const EVENT_ID_ATTRIBUTE = 'ioEventId';

/**
 * SNS message attribute naming which part of the stack published an alert: one of
 * {@link ALERT_ORIGINS}. Alerts published by anything else (EventBridge, the user's own tooling)
 * carry none. Subscription filter policies and operators may use it; the retrier logs alerts of
 * the sweep with source `sweep`.
 */
export const ALERT_ORIGIN_ATTRIBUTE = 'origin';

/** Values of {@link ALERT_ORIGIN_ATTRIBUTE}. */
export const ALERT_ORIGINS = {
  /** Forwarded by the I/O Events webhook ingress after its signature checks. */
  webhook: 'webhook',
  /** Published by the missed-alert sweep for a failed run it found without a ledger item. */
  sweep: 'sweep',
} as const;

/** Environment of the webhook ingress function (the Adobe I/O Events webhook). */
export const INGRESS_ENV = {
  /** ARN of the alerts SNS topic failure alerts are forwarded to. */
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  /** Name of the DynamoDB ledger table; the ingress reads and writes only `EVENT#<id>` items. */
  ledgerTableName: 'LEDGER_TABLE_NAME',
  /**
   * The I/O Events registration's client id(s) (the Developer Console project's API key),
   * comma-separated: an event's `recipientclientid` must be one of them.
   */
  clientIds: 'IO_EVENTS_CLIENT_IDS',
  /**
   * Where the signature public keys are fetched from. Default `https://static.adobeioevents.com`
   * (the only value the stack sets); tests point it at a loopback key server.
   */
  keyOrigin: 'IO_EVENTS_KEY_ORIGIN',
  /** Days an `EVENT#<id>` de-duplication item lives (DynamoDB TTL). Default 3. */
  eventTtlDays: 'EVENT_TTL_DAYS',
} as const;

/** Environment of the missed-alert sweep function. */
export const SWEEP_ENV = {
  /** Same meaning as the retrier's. */
  flowServiceUrl: RETRIER_ENV.flowServiceUrl,
  /** Same meaning as the retrier's. */
  imsTokenUrl: RETRIER_ENV.imsTokenUrl,
  /** Same meaning as the retrier's: the sweep lists runs in every org the secret holds. */
  credentialsSecretId: RETRIER_ENV.credentialsSecretId,
  /** Same meaning as the retrier's; the sweep reads only `RUN#<id>` items. */
  ledgerTableName: RETRIER_ENV.ledgerTableName,
  /** ARN of the alerts SNS topic the sweep publishes found failures to. */
  alertsTopicArn: INGRESS_ENV.alertsTopicArn,
  /** Sandbox names to sweep in each org, comma-separated, e.g. `prod,dev`. */
  sandboxes: 'SWEEP_SANDBOXES',
  /** How far back the sweep looks for failed runs, in minutes (by run creation time). */
  lookbackMinutes: 'SWEEP_LOOKBACK_MINUTES',
  /** The most runs listed in one sweep, over every org and sandbox. */
  maxRuns: 'SWEEP_MAX_RUNS',
  /** The most alerts published in one sweep; the rest wait for the next sweep. */
  maxPublishes: 'SWEEP_MAX_PUBLISHES',
  /** The most Flow Service list calls started per second. */
  maxCallsPerSecond: 'SWEEP_MAX_CALLS_PER_SECOND',
} as const;
