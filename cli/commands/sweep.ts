/**
 * `sweep`: the missed-alert sweep, run by hand. The same code as the scheduled sweep function
 * (`lambda/core/sweep.ts`): failed runs created in the look-back window, in every org of the
 * credential secret and every given sandbox, that the ledger has never seen are published to the
 * alerts topic as failure alerts, for the retrier to handle like any other.
 */
import { createAlertsTopic } from '../../lambda/adapters/alerts-topic';
import { realSleep } from '../../lambda/adapters/http';
import { MAX_SWEEP_LOOKBACK_MS, runSweep, type SweepReport } from '../../lambda/core/sweep';
import { type CommandSpec, flagOption, listOption, stringOption } from '../command';
import { EXIT, UsageError } from '../errors';
import { type CliIo, isoTime, progress, say, table } from '../io';

/** The scheduled sweep function's defaults (`lambda/sweep/config.ts`), so both sweep alike. */
const DEFAULTS = { since: '24h', sandbox: 'prod', maxRuns: 500, maxPublishes: 50, rate: 2 } as const;

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a look-back such as `90m`, `24h` or `7d` into milliseconds.
 * @throws UsageError when it is malformed or longer than the sweep allows (7 days)
 */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*([mhd])$/i.exec(text.trim());
  const amount = Number(match?.[1]);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined || !(amount > 0)) {
    throw new UsageError(`--since must be a duration such as 90m, 24h or 7d, not "${text}"`, 'sweep');
  }
  const ms = amount * unit;
  if (ms > MAX_SWEEP_LOOKBACK_MS) throw new UsageError('--since may be at most 7d', 'sweep');
  return ms;
}

function positiveInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1`, 'sweep');
  return value;
}

function reportJson(report: SweepReport) {
  return {
    ...report,
    createdAfter: isoTime(report.createdAfter),
    published: report.published.map((run) => ({
      ...run,
      ...(run.createdAt === undefined ? {} : { createdAt: isoTime(run.createdAt) }),
    })),
  };
}

function printReport(io: CliIo, report: SweepReport): void {
  const verb = report.dryRun ? 'would be published' : 'published';
  say(io, `Swept failed runs created since ${isoTime(report.createdAfter)}:`);
  const rows = report.scopes.map((scope) => [
    scope.orgId,
    scope.sandboxName,
    String(scope.listed),
    String(scope.alreadyHandled),
    String(scope.published),
    scope.error ?? '',
  ]);
  for (const line of table(
    ['org', 'sandbox', 'failed', 'handled', verb.split(' ').at(-1) ?? '', 'error'],
    rows,
  ))
    say(io, `  ${line}`);
  say(
    io,
    `${report.listed} failed run${report.listed === 1 ? '' : 's'}, ${report.alreadyHandled} already handled, ${report.published.length} ${verb} to the alerts topic${report.dryRun ? ' (dry run)' : ''}`,
  );
  for (const run of report.published) {
    say(
      io,
      `  run ${run.runId}  dataflow ${run.flowId}  sandbox ${run.sandboxName}  created ${isoTime(run.createdAt)}${run.createdByTool ? '  (a re-trigger of the tool)' : ''}`,
    );
  }
  if (report.capped)
    say(io, 'Stopped at the --max-runs or --max-publishes cap: run the sweep again, or raise the cap.');
  if (report.incomplete) say(io, 'Stopped before the end: run the sweep again.');
  if (report.errors > 0)
    say(io, `${report.errors} org/sandbox pair(s) could not be swept; see the error column.`);
}

/** `aep-autoretry sweep`. */
export const sweepCommand: CommandSpec = {
  name: 'sweep',
  summary: 'Find failed runs no alert brought, and hand them to the retrier',
  synopsis:
    '[--since <duration>] [--sandbox <name>]... [--dry-run] [--max-runs <n>] [--max-publishes <n>] [--rate <n>]',
  description: [
    'Runs the missed-alert sweep now, the same code as the scheduled sweep function: lists failed',
    'runs created in the window through Flow Service, in every org of the credential secret and',
    'every given sandbox, and publishes a failure alert to the alerts topic for each run the ledger',
    'has never seen (lost alerts, and non-production sandboxes, which AEP never alerts on). Runs',
    'the ledger knows are left alone, so sweeping twice is safe. Exit code 1 when an org or sandbox',
    'could not be swept.',
  ].join('\n'),
  positionals: [],
  options: {
    since: {
      type: 'string',
      value: '<duration>',
      description: `look-back by run creation time: 90m, 24h, 7d (default ${DEFAULTS.since}, at most 7d)`,
    },
    sandbox: {
      type: 'string',
      value: '<name>',
      multiple: true,
      description: `sandbox to sweep; repeat or comma-separate (default: the scheduled sweep's, else ${DEFAULTS.sandbox})`,
    },
    'dry-run': { type: 'boolean', description: 'find and show, publish nothing' },
    'max-runs': {
      type: 'string',
      value: '<n>',
      description: `the most failed runs listed (default ${DEFAULTS.maxRuns})`,
    },
    'max-publishes': {
      type: 'string',
      value: '<n>',
      description: `the most alerts published (default ${DEFAULTS.maxPublishes})`,
    },
    rate: {
      type: 'string',
      value: '<n>',
      description: `the most Flow Service list calls per second (default ${DEFAULTS.rate})`,
    },
  },
  examples: [
    'npx aep-autoretry sweep --since 24h --dry-run --stack AepDataflowAutoRetry',
    'npx aep-autoretry sweep --since 6h --sandbox prod,dev --max-publishes 200 --stack AepDataflowAutoRetry',
  ],
  async run(context, input) {
    const lookbackMs = parseSince(stringOption(input, 'since') ?? DEFAULTS.since);
    const sandboxes = listOption(input, 'sandbox');
    const maxRuns = positiveInteger(stringOption(input, 'max-runs'), 'max-runs', DEFAULTS.maxRuns);
    const maxPublishes = positiveInteger(
      stringOption(input, 'max-publishes'),
      'max-publishes',
      DEFAULTS.maxPublishes,
    );
    const maxCallsPerSecond = positiveInteger(stringOption(input, 'rate'), 'rate', DEFAULTS.rate);
    const dryRun = flagOption(input, 'dry-run');
    const services = await context.services();
    const alerts = createAlertsTopic({
      client: services.sns,
      topicArn: services.target.resources.alertsTopicArn,
    });
    // Progress: the sweep's ports, counted as it calls them.
    const shown = progress(context.io, 'runs checked', { every: 50 });
    let checked = 0;
    let unknown = 0;
    let scope = '';
    const tick = () => shown.update(checked, `${unknown} not in the ledger${scope}`);
    let report: SweepReport;
    try {
      report = await runSweep(
        {
          flowService: {
            ...services.flowService,
            listRuns: (runScope, query, options) => {
              scope = `, listing ${runScope.sandboxName} of ${runScope.orgId}`;
              tick();
              return services.flowService.listRuns(runScope, query, options);
            },
          },
          credentials: services.credentials,
          ledger: {
            getRun: async (runId) => {
              const known = await services.ledger.getRun(runId);
              checked++;
              if (!known || known.state === 'lineage') unknown++;
              tick();
              return known;
            },
          },
          alerts,
          clock: { now: () => Date.now() },
          sleep: realSleep,
        },
        {
          sandboxes:
            sandboxes.length > 0 ? sandboxes : (services.target.sweepSandboxes ?? [DEFAULTS.sandbox]),
          lookbackMs,
          maxRuns,
          maxPublishes,
          maxCallsPerSecond,
          dryRun,
        },
      );
    } finally {
      shown.done();
    }
    if (context.json) say(context.io, JSON.stringify(reportJson(report), null, 2));
    else printReport(context.io, report);
    return report.errors > 0 ? EXIT.failure : EXIT.ok;
  },
};
