/**
 * The webhook ingress's configuration, read once at cold start.
 */
import { INGRESS_ENV } from '../../contracts/environment';
import { ADOBE_KEY_ORIGIN, checkKeyOrigin } from '../adapters/io-events-keys';
import { EnvReader } from '../shared/env';

/** Everything the ingress reads from its environment, checked. */
export interface IngressConfig {
  readonly alertsTopicArn: string;
  readonly ledgerTableName: string;
  /** The I/O Events registration client id(s) events must be addressed to. */
  readonly clientIds: readonly string[];
  /** Origin the signature keys are fetched from. */
  readonly keyOrigin: string;
  /** Days an `EVENT#` de-duplication item lives. */
  readonly eventTtlDays: number;
}

/** Client ids are the Developer Console API keys: letters, digits, `-` and `_`. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads and checks the environment.
 * @throws ConfigError naming every missing or malformed variable (never its value)
 */
export function loadIngressConfig(env: Readonly<Record<string, string | undefined>>): IngressConfig {
  const read = new EnvReader(env);
  const alertsTopicArn = read.string(INGRESS_ENV.alertsTopicArn, 'the ARN of the alerts SNS topic');
  const ledgerTableName = read.string(INGRESS_ENV.ledgerTableName, 'the name of the ledger DynamoDB table');
  const clientIds = read.parse(
    INGRESS_ENV.clientIds,
    (value) => {
      const ids = (value ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id.length > 0);
      if (ids.length === 0 || !ids.every((id) => CLIENT_ID.test(id))) {
        throw new Error(
          `${INGRESS_ENV.clientIds} must list the I/O Events registration client id(s), comma-separated (letters, digits, - and _)`,
        );
      }
      return ids;
    },
    [] as string[],
  );
  const keyOrigin = read.parse(
    INGRESS_ENV.keyOrigin,
    (value) => {
      try {
        return checkKeyOrigin(value ?? ADOBE_KEY_ORIGIN);
      } catch {
        throw new Error(
          `${INGRESS_ENV.keyOrigin} must be an https origin such as ${ADOBE_KEY_ORIGIN} (http only for 127.0.0.1), with no path`,
        );
      }
    },
    ADOBE_KEY_ORIGIN,
  );
  const eventTtlDays = read.integer(INGRESS_ENV.eventTtlDays, 3, 2, 30);
  read.done();
  return { alertsTopicArn, ledgerTableName, clientIds, keyOrigin, eventTtlDays };
}
