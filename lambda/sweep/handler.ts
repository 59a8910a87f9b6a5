/**
 * The missed-alert sweep function, run on a schedule: the composition root. Configuration and
 * adapters are built once per container; each invocation runs one sweep (`lambda/core/sweep.ts`)
 * and reports it in one log line and metrics. A sweep in which some org or sandbox failed throws
 * after publishing what it could, so the function's error alarm shows it; the next scheduled sweep
 * is the retry.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createAlertsTopic } from '../adapters/alerts-topic';
import { createFlowService } from '../adapters/flow-service';
import { realSleep } from '../adapters/http';
import { createTokenProvider } from '../adapters/ims';
import { createLedger } from '../adapters/ledger';
import { createCredentialsProvider } from '../adapters/secrets';
import { AutoRetryError } from '../core/errors';
import { runSweep, type SweepReport } from '../core/sweep';
import { createObservability } from '../shared/observability';
import { loadSweepConfig } from './config';

/** Time kept back from the Lambda timeout to finish the current call, log and publish metrics. */
const SAFETY_MARGIN_MS = 10_000;
/** Runs named in the log line; the counts cover the rest. */
const LOGGED_RUNS = 100;

const { logger, metrics } = createObservability(process.env);

const config = loadSweepConfig(process.env);
const credentials = createCredentialsProvider({
  client: new SecretsManagerClient({}),
  secretId: config.credentialsSecretId,
  ttlMs: config.secretCacheSeconds * 1000,
});
const deps = {
  flowService: createFlowService({
    baseUrl: config.flowServiceUrl,
    credentials,
    tokens: createTokenProvider({ tokenUrl: config.imsTokenUrl }),
  }),
  credentials,
  // The sweep only reads run items (`getRun`); its role may do nothing else on the table.
  ledger: createLedger({ client: new DynamoDBClient({}), tableName: config.ledgerTableName }),
  alerts: createAlertsTopic({ client: new SNSClient({}), topicArn: config.alertsTopicArn }),
  clock: { now: () => Date.now() },
  sleep: realSleep,
};

function record(report: SweepReport, durationMs: number): void {
  metrics.addMetric('sweep_listed', MetricUnit.Count, report.listed);
  metrics.addMetric('sweep_already_handled', MetricUnit.Count, report.alreadyHandled);
  metrics.addMetric('sweep_published', MetricUnit.Count, report.published.length);
  metrics.addMetric('sweep_scope_errors', MetricUnit.Count, report.errors);
  const line = {
    message: 'sweep finished',
    createdAfter: new Date(report.createdAfter).toISOString(),
    listed: report.listed,
    alreadyHandled: report.alreadyHandled,
    publishedCount: report.published.length,
    published: report.published
      .slice(0, LOGGED_RUNS)
      .map(({ runId, flowId, sandboxName, createdByTool }) => ({
        runId,
        flowId,
        sandboxName,
        createdByTool,
      })),
    capped: report.capped,
    incomplete: report.incomplete,
    errors: report.errors,
    scopes: report.scopes,
    durationMs,
  };
  if (report.errors > 0 || report.capped || report.incomplete) logger.warn(line);
  else logger.info(line);
}

/** Entry point for the schedule (the event's content is not used). */
export async function handler(_event: unknown, context: Context): Promise<SweepReport> {
  logger.addContext(context);
  const startedAt = Date.now();
  try {
    let report: SweepReport;
    try {
      report = await runSweep(deps, {
        sandboxes: config.sandboxes,
        lookbackMs: config.lookbackMinutes * 60_000,
        maxRuns: config.maxRuns,
        maxPublishes: config.maxPublishes,
        maxCallsPerSecond: config.maxCallsPerSecond,
        deadline: startedAt + Math.max(context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS, 1000),
      });
    } catch (error) {
      // Nothing was swept (the secret could not be read): say so and let the invocation fail.
      logger.error({ message: 'sweep failed', durationMs: Date.now() - startedAt }, error as Error);
      throw error;
    }
    record(report, Date.now() - startedAt);
    const failed = report.scopes.filter((scope) => scope.error !== undefined);
    if (failed.length > 0) {
      throw new AutoRetryError(
        `the sweep could not cover ${failed.map((scope) => `${scope.orgId}/${scope.sandboxName}`).join(', ')}: ${failed[0]?.error ?? ''}`,
        { kind: failed.every((scope) => scope.transient) ? 'transient' : 'configuration' },
      );
    }
    return report;
  } finally {
    metrics.publishStoredMetrics();
  }
}
