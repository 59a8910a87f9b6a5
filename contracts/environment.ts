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
