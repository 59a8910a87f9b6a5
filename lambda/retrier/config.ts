/**
 * The retrier's configuration, read once at cold start. See the README's configuration table.
 */
import { RETRIER_ENV } from '../../contracts/environment';
import { DEFAULT_RETRY_POLICY, parseRetryPolicy, type RetryPolicy } from '../../contracts/retry-policy';
import { EnvReader } from '../shared/env';

/** Everything the retrier reads from its environment, checked. */
export interface RetrierConfig {
  readonly flowServiceUrl: string;
  readonly imsTokenUrl: string;
  readonly credentialsSecretId: string;
  readonly outcomeTopicArn: string;
  readonly ledgerTableName: string;
  readonly retryQueueUrl: string;
  readonly retryPolicy: RetryPolicy;
  readonly dryRun: boolean;
  /** Days a ledger item lives after its last write. */
  readonly ledgerTtlDays: number;
  /** How long the credential secret is cached per container. */
  readonly secretCacheSeconds: number;
}

/**
 * Reads and checks the environment.
 * @throws ConfigError naming every missing or malformed variable (never its value)
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RetrierConfig {
  const read = new EnvReader(env);
  const config: RetrierConfig = {
    flowServiceUrl: read.url(
      RETRIER_ENV.flowServiceUrl,
      'https://platform.adobe.io/data/foundation/flowservice',
    ),
    imsTokenUrl: read.url(RETRIER_ENV.imsTokenUrl, 'https://ims-na1.adobelogin.com/ims/token/v3'),
    credentialsSecretId: read.string(
      RETRIER_ENV.credentialsSecretId,
      'the name or ARN of the credential secret',
    ),
    outcomeTopicArn: read.string(RETRIER_ENV.outcomeTopicArn, 'the ARN of the outcomes SNS topic'),
    ledgerTableName: read.string(RETRIER_ENV.ledgerTableName, 'the name of the ledger DynamoDB table'),
    retryQueueUrl: read.url(
      RETRIER_ENV.retryQueueUrl,
      'https://sqs.us-east-1.amazonaws.com/123456789012/queue',
    ),
    retryPolicy: read.parse(RETRIER_ENV.retryPolicy, (text) => parseRetryPolicy(text), DEFAULT_RETRY_POLICY),
    dryRun: read.boolean(RETRIER_ENV.dryRun, false),
    ledgerTtlDays: read.integer(RETRIER_ENV.ledgerTtlDays, 30, 1, 3650),
    secretCacheSeconds: read.integer('SECRET_CACHE_SECONDS', 300, 0, 86_400),
  };
  read.done();
  return config;
}
