/**
 * The missed-alert sweep: lists recent failed runs through Flow Service, in every org the stack
 * holds credentials for and every configured sandbox, and publishes a failure alert to the alerts
 * topic for each run the ledger has never seen. It catches alerts I/O Events lost or dropped, and
 * runs in non-production sandboxes, which AEP never alerts on (reference 4.1).
 *
 * Idempotent with the alert path: a run with any ledger item (claimed, scheduled, done) is left
 * alone; only a run with no item, or with a `lineage` item (created by the tool's re-trigger and
 * never alerted), is published, and the retrier's conditional claim settles any race with a late
 * alert. Pure over its ports, so the scheduled function and the operator CLI share it.
 */
import { ALERT_ORIGIN_ATTRIBUTE, ALERT_ORIGINS } from '../../contracts/environment';
import { AutoRetryError, isAutoRetryError } from './errors';
import { type AlertsTopicPort, runAlertPayload } from './forwarding';
import type { FlowRun, RunScope } from './model';
import type { Clock, CredentialsPort, FlowServicePort, LedgerPort } from './ports';

/** The longest look-back the sweep accepts: beyond it, runs may have outlived their ledger items. */
export const MAX_SWEEP_LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;

/** What the sweep needs. */
export interface SweepDeps {
  readonly flowService: FlowServicePort;
  readonly credentials: CredentialsPort;
  readonly ledger: Pick<LedgerPort, 'getRun'>;
  readonly alerts: AlertsTopicPort;
  readonly clock: Clock;
  /** Waits between Flow Service calls (rate limit). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Settings of one sweep. */
export interface SweepOptions {
  /** Sandbox names to sweep in each org, e.g. `['prod', 'dev']`. */
  readonly sandboxes: readonly string[];
  /** Runs created this long ago or later are looked at (ms, at most {@link MAX_SWEEP_LOOKBACK_MS}). */
  readonly lookbackMs: number;
  /** The most runs listed in this sweep, over every org and sandbox. */
  readonly maxRuns: number;
  /** The most alerts published in this sweep; later finds wait for the next sweep. */
  readonly maxPublishes: number;
  /** The most Flow Service list calls started per second. */
  readonly maxCallsPerSecond: number;
  /** Epoch ms by which the sweep stops starting new work. */
  readonly deadline?: number;
  /** Find and report, but publish nothing (the CLI's preview). @default false */
  readonly dryRun?: boolean;
}

/** A failed run the sweep published (or, in a dry run, would have). */
export interface SweptRun {
  readonly runId: string;
  readonly flowId: string;
  readonly sandboxName: string;
  readonly imsOrgId: string;
  readonly createdAt?: number;
  /** The SNS message id; absent in a dry run. */
  readonly messageId?: string;
  /** True when the ledger knew the run only as one the tool created (`lineage`). */
  readonly createdByTool: boolean;
}

/** What the sweep did in one org and sandbox. */
export interface ScopeReport {
  readonly orgId: string;
  readonly sandboxName: string;
  /** Failed runs listed. */
  readonly listed: number;
  /** Failed runs the ledger already knew (handled, in progress or scheduled). */
  readonly alreadyHandled: number;
  readonly published: number;
  /** Why this scope could not be swept; names the call, never a secret. */
  readonly error?: string;
  /** True when the error may pass by itself (throttling, timeouts). */
  readonly transient?: boolean;
}

/** The result of one sweep. */
export interface SweepReport {
  /** Epoch ms: only runs created at or after this were looked at. */
  readonly createdAfter: number;
  readonly scopes: readonly ScopeReport[];
  readonly published: readonly SweptRun[];
  readonly listed: number;
  readonly alreadyHandled: number;
  /** Stopped early: the run or publish budget of this sweep is spent. */
  readonly capped: boolean;
  /** Stopped early: the deadline came. */
  readonly incomplete: boolean;
  /** Scopes that failed. */
  readonly errors: number;
  readonly dryRun: boolean;
}

/**
 * Runs one sweep. Never throws for a failing org or sandbox: it is reported in its scope and the
 * sweep goes on with the others; a failure that concerns every scope (the secret cannot be read)
 * throws.
 * @throws AutoRetryError when the credentials cannot be read, or the options are out of bounds
 */
export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  checkOptions(options);
  const { clock } = deps;
  const createdAfter = clock.now() - options.lookbackMs;
  const credentials = await deps.credentials.all();
  const orgs = [...new Set(credentials.map((credential) => credential.orgId))];
  const sandboxes = [...new Set(options.sandboxes.map((name) => name.toLowerCase()))];
  const minIntervalMs = 1000 / options.maxCallsPerSecond;
  const dryRun = options.dryRun === true;

  const scopes: ScopeReport[] = [];
  const published: SweptRun[] = [];
  let listedTotal = 0;
  let handledTotal = 0;
  let capped = false;
  let incomplete = false;
  let lastCallAt: number | undefined;

  const pastDeadline = () => options.deadline !== undefined && clock.now() >= options.deadline;

  sweep: for (const orgId of orgs) {
    for (const sandboxName of sandboxes) {
      if (pastDeadline()) {
        incomplete = true;
        break sweep;
      }
      if (listedTotal >= options.maxRuns || published.length >= options.maxPublishes) {
        capped = true;
        break sweep;
      }
      const scope: RunScope = { orgId, sandboxName };
      if (lastCallAt !== undefined) {
        const wait = lastCallAt + minIntervalMs - clock.now();
        if (wait > 0) await deps.sleep(wait);
      }
      lastCallAt = clock.now();
      let runs: FlowRun[];
      try {
        runs = await deps.flowService.listRuns(
          scope,
          { status: 'failed', createdAfter, maxRuns: options.maxRuns - listedTotal },
          { deadline: options.deadline },
        );
      } catch (error) {
        scopes.push({ orgId, sandboxName, listed: 0, alreadyHandled: 0, published: 0, ...describe(error) });
        continue;
      }
      // The status filter's case handling is [UNCONFIRMED] (reference 1.4): check each run again.
      const failed = runs.filter(
        (run) => run.status.toLowerCase() === 'failed' && (run.createdAt ?? createdAfter) >= createdAfter,
      );
      listedTotal += failed.length;
      let handled = 0;
      let publishedHere = 0;
      let error: { error: string; transient: boolean } | undefined;
      for (const run of failed) {
        if (published.length >= options.maxPublishes) {
          capped = true;
          break;
        }
        if (pastDeadline()) {
          incomplete = true;
          break;
        }
        try {
          const known = await deps.ledger.getRun(run.id);
          if (known && known.state !== 'lineage') {
            handled++;
            continue;
          }
          const swept: SweptRun = {
            runId: run.id,
            flowId: run.flowId,
            sandboxName: run.sandboxName ?? sandboxName,
            imsOrgId: run.imsOrgId ?? orgId,
            ...(run.createdAt === undefined ? {} : { createdAt: run.createdAt }),
            createdByTool: known?.state === 'lineage',
          };
          if (dryRun) {
            published.push(swept);
          } else {
            const { messageId } = await deps.alerts.publish(
              JSON.stringify(runAlertPayload(run, scope, 'sweep')),
              { [ALERT_ORIGIN_ATTRIBUTE]: ALERT_ORIGINS.sweep },
              { deadline: options.deadline },
            );
            published.push({ ...swept, messageId });
          }
          publishedHere++;
        } catch (caught) {
          // The ledger or the topic is failing: the rest of this scope waits for the next sweep.
          error = describe(caught);
          break;
        }
      }
      handledTotal += handled;
      scopes.push({
        orgId,
        sandboxName,
        listed: failed.length,
        alreadyHandled: handled,
        published: publishedHere,
        ...(error ?? {}),
      });
      if (capped || incomplete) break sweep;
    }
  }

  return {
    createdAfter,
    scopes,
    published,
    listed: listedTotal,
    alreadyHandled: handledTotal,
    capped,
    incomplete,
    errors: scopes.filter((scope) => scope.error !== undefined).length,
    dryRun,
  };
}

function describe(error: unknown): { error: string; transient: boolean } {
  if (isAutoRetryError(error)) return { error: error.message, transient: error.retryable };
  return {
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    transient: true,
  };
}

function checkOptions(options: SweepOptions): void {
  const problems: string[] = [];
  if (options.sandboxes.length === 0) problems.push('sandboxes must name at least one sandbox');
  if (!(options.lookbackMs > 0 && options.lookbackMs <= MAX_SWEEP_LOOKBACK_MS)) {
    problems.push('lookbackMs must be more than 0 and at most 7 days');
  }
  if (!(Number.isInteger(options.maxRuns) && options.maxRuns >= 1))
    problems.push('maxRuns must be at least 1');
  if (!(Number.isInteger(options.maxPublishes) && options.maxPublishes >= 1)) {
    problems.push('maxPublishes must be at least 1');
  }
  if (!(options.maxCallsPerSecond > 0)) problems.push('maxCallsPerSecond must be more than 0');
  if (problems.length > 0) {
    throw new AutoRetryError(`Invalid sweep options: ${problems.join('; ')}`, { kind: 'configuration' });
  }
}
