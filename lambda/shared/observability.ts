/**
 * The one Logger and one Metrics of a function, named from the Powertools environment the stack
 * sets (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`), with the app's defaults.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Builds a function's Logger and Metrics; call once per container, in the composition root. */
export function createObservability(env: Readonly<Record<string, string | undefined>>): {
  readonly logger: Logger;
  readonly metrics: Metrics;
} {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? 'aep-dataflow-autoretry';
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'AepDataflowAutoRetry',
      serviceName,
    }),
  };
}
