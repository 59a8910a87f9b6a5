/**
 * The missed-alert sweep's configuration, read once at cold start.
 */
import { RETRIER_ENV, SWEEP_ENV } from '../../contracts/environment';
import { EnvReader } from '../shared/env';

/** Everything the sweep reads from its environment, checked. */
export interface SweepConfig {
  readonly flowServiceUrl: string;
  readonly imsTokenUrl: string;
  readonly credentialsSecretId: string;
  readonly ledgerTableName: string;
  readonly alertsTopicArn: string;
  readonly sandboxes: readonly string[];
  readonly lookbackMinutes: number;
  readonly maxRuns: number;
  readonly maxPublishes: number;
  readonly maxCallsPerSecond: number;
  /** How long the credential secret is cached per container. */
  readonly secretCacheSeconds: number;
}

/** Sandbox names as `x-sandbox-name` takes them. */
const SANDBOX_NAME = /^[a-z0-9][a-z0-9._-]{0,255}$/;

/** 7 days: the sweep's longest look-back. */
export const MAX_LOOKBACK_MINUTES = 7 * 24 * 60;

/**
 * Reads and checks the environment.
 * @throws ConfigError naming every missing or malformed variable (never its value)
 */
export function loadSweepConfig(env: Readonly<Record<string, string | undefined>>): SweepConfig {
  const read = new EnvReader(env);
  const config: SweepConfig = {
    flowServiceUrl: read.url(
      SWEEP_ENV.flowServiceUrl,
      'https://platform.adobe.io/data/foundation/flowservice',
    ),
    imsTokenUrl: read.url(SWEEP_ENV.imsTokenUrl, 'https://ims-na1.adobelogin.com/ims/token/v3'),
    credentialsSecretId: read.string(
      SWEEP_ENV.credentialsSecretId,
      'the name or ARN of the credential secret',
    ),
    ledgerTableName: read.string(RETRIER_ENV.ledgerTableName, 'the name of the ledger DynamoDB table'),
    alertsTopicArn: read.string(SWEEP_ENV.alertsTopicArn, 'the ARN of the alerts SNS topic'),
    sandboxes: read.parse(
      SWEEP_ENV.sandboxes,
      (value) => {
        const names = (value ?? '')
          .split(',')
          .map((name) => name.trim().toLowerCase())
          .filter((name) => name.length > 0);
        if (names.length === 0 || !names.every((name) => SANDBOX_NAME.test(name))) {
          throw new Error(`${SWEEP_ENV.sandboxes} must list sandbox names, comma-separated, e.g. prod,dev`);
        }
        return names;
      },
      [] as string[],
    ),
    lookbackMinutes: read.integer(SWEEP_ENV.lookbackMinutes, 120, 1, MAX_LOOKBACK_MINUTES),
    maxRuns: read.integer(SWEEP_ENV.maxRuns, 500, 1, 10_000),
    maxPublishes: read.integer(SWEEP_ENV.maxPublishes, 50, 1, 1000),
    maxCallsPerSecond: read.integer(SWEEP_ENV.maxCallsPerSecond, 2, 1, 50),
    secretCacheSeconds: read.integer('SECRET_CACHE_SECONDS', 300, 0, 86_400),
  };
  read.done();
  return config;
}
