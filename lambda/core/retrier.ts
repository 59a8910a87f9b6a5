/**
 * The retrier, step by step (design.md): normalise, check the org, claim, decide, verify, wait or
 * re-trigger, record, announce. It talks to the world only through the ports, so the Lambda, the
 * local sandbox and the operator CLI run the same code.
 *
 * Ordering rules that keep "never twice, never lost":
 * - the claim comes before any call to Adobe; every later ledger write is conditional on it;
 * - a re-trigger is recorded before it is announced (a redelivery then finds it and announces
 *   what was not); other outcomes are announced before they are recorded (a failure in between
 *   repeats a message, never loses one);
 * - a POST that may have taken effect is never repeated: the flow's runs are listed first.
 */
import { ALERT_ORIGINS } from '../../contracts/environment';
import type { Outcome } from '../../contracts/outcome';
import type { RetryPolicy } from '../../contracts/retry-policy';
import { normaliseAlert } from './alert';
import { decide } from './decide';
import { type AutoRetryError, FlowServiceError, REFUSAL_CODES, toAutoRetryError } from './errors';
import type { AlertIds, AlertSource, FailedRunAlert, FlowRun, RunScope } from './model';
import { buildOutcome } from './outcome';
import type {
  Claim,
  ClaimFacts,
  ClaimResult,
  Clock,
  CredentialsPort,
  DelayedRetry,
  DelayQueuePort,
  FlowServicePort,
  LedgerPort,
  Lineage,
  OutcomePort,
  RunRecord,
} from './ports';
import { asRecord } from './run-object';

/** SQS's longest per-message delay; longer waits hop again. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** What the retrier needs. */
export interface RetrierDeps {
  readonly flowService: FlowServicePort;
  readonly credentials: CredentialsPort;
  readonly ledger: LedgerPort;
  readonly outcomes: OutcomePort;
  readonly delayQueue: DelayQueuePort;
  readonly policy: RetryPolicy;
  readonly dryRun: boolean;
  readonly clock: Clock;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
  /** Added to the invocation's remaining time to make the claim's lease. @default 10000 */
  readonly leaseMarginMs?: number;
  /** How far before a claim a run may have been created and still be adopted (clock skew). @default 30000 */
  readonly adoptionSkewMs?: number;
}

/** Per-alert context from the handler. */
export interface AlertContext {
  /** Epoch ms by which this alert's work must be done (the invocation's deadline, minus a margin). */
  readonly deadline: number;
  /** The I/O Events event id, when the transport carried one (an SNS message attribute). */
  readonly eventId?: string;
  /** Who published the alert (the SNS message attribute `origin`): `sweep` alerts are logged as such. */
  readonly origin?: string;
}

/** What happened to one alert: logged as one line, counted as one metric. */
export interface AlertResult {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly runId?: string;
  readonly flowId?: string;
  readonly sandboxName?: string;
  readonly attempt?: number;
  readonly newRunId?: string;
  readonly dueAt?: number;
  readonly source?: AlertSource;
  readonly errorCodes?: readonly string[];
  /** True when an outcome message went out. */
  readonly published: boolean;
  /**
   * Set when the alert must be kept: a transient or configuration error outlived the in-call
   * retries. The handler throws it so Lambda (or SQS) delivers the alert again.
   */
  readonly retry?: AutoRetryError;
}

/** Options of a manual re-trigger (the operator CLI). */
export interface ManualRetryOptions extends AlertContext {
  /** Decide and report without re-triggering. @default the retrier's dryRun */
  readonly dryRun?: boolean;
}

/** The retrier's entry points. None of them throws. */
export interface Retrier {
  /** Handles one alert message (the SNS `Message` string, or a parsed object). */
  handleAlert(message: unknown, context: AlertContext): Promise<AlertResult>;
  /** Handles one delay-queue message body. */
  handleDelayed(body: string, context: AlertContext): Promise<AlertResult>;
  /**
   * Re-triggers one run on an operator's request: the same org check, exactly-once claim and
   * verification (run still failed, flow enabled), but no policy (codes, budget, delay, pause).
   * A run already re-triggered, scheduled or being handled is refused as `duplicate`.
   */
  retryManually(scope: RunScope, runId: string, options: ManualRetryOptions): Promise<AlertResult>;
}

/** How a claimed failure goes on after the decision. */
interface Plan {
  readonly delaySeconds: number;
  /** GET the flow too (before a wait, and before firing a waited re-trigger). */
  readonly checkFlow: boolean;
  readonly reason: string;
}

/** One claimed failure being worked on. */
interface Work {
  readonly alert: FailedRunAlert;
  readonly claim: Claim;
  readonly attempt: number;
  readonly context: AlertContext;
  readonly dryRun: boolean;
  /** True once a POST may have reached Flow Service under this claim (or an earlier one). */
  mayHavePosted: boolean;
}

interface AnnounceDetails {
  readonly reason: string;
  readonly attempt?: number;
  readonly newRunId?: string;
  readonly lineage?: Lineage;
  readonly dueAt?: number;
  readonly source?: AlertSource;
}

/** The delay-queue message kind this version writes and reads. */
const DELAYED_KIND = 'aep-autoretry/delayed-retry';

function idsOf(alert: FailedRunAlert): AlertIds {
  return {
    runId: alert.runId,
    flowId: alert.flowId,
    flowName: alert.flowName,
    sandboxName: alert.sandboxName,
    imsOrgId: alert.imsOrgId,
    errorCodes: alert.errorCodes,
  };
}

function factsOf(alert: FailedRunAlert): ClaimFacts {
  return {
    flowId: alert.flowId,
    sandboxName: alert.sandboxName,
    imsOrgId: alert.imsOrgId,
    errorCodes: alert.errorCodes,
  };
}

function scopeOf(alert: FailedRunAlert): RunScope {
  return { orgId: alert.imsOrgId, sandboxName: alert.sandboxName };
}

function describeExisting(record: RunRecord): string {
  switch (record.state) {
    case 'claimed':
      return 'another invocation is handling this run now';
    case 'scheduled':
      return `a re-trigger is already scheduled for ${new Date(record.dueAt ?? 0).toISOString()}`;
    default:
      return record.childRunId
        ? `already re-triggered as run ${record.childRunId}`
        : `already handled: ${record.outcome ?? 'done'}${record.reason ? ` (${record.reason})` : ''}`;
  }
}

function isDelayedRetry(value: unknown): value is DelayedRetry {
  const record = asRecord(value);
  const alert = asRecord(record?.alert);
  return (
    record?.kind === DELAYED_KIND &&
    record.version === 1 &&
    typeof record.attempt === 'number' &&
    typeof record.dueAt === 'number' &&
    typeof record.scheduleToken === 'string' &&
    typeof alert?.runId === 'string' &&
    typeof alert.flowId === 'string' &&
    typeof alert.sandboxName === 'string' &&
    typeof alert.imsOrgId === 'string' &&
    Array.isArray(alert.errorCodes)
  );
}

/** Creates the retrier over its ports. */
export function createRetrier(deps: RetrierDeps): Retrier {
  const { flowService, ledger, policy, clock } = deps;
  const leaseMarginMs = deps.leaseMarginMs ?? 10_000;
  const adoptionSkewMs = deps.adoptionSkewMs ?? 30_000;

  const leaseFor = (context: AlertContext) => {
    const now = clock.now();
    return { now, leaseMs: Math.max(context.deadline - now, 0) + leaseMarginMs };
  };

  function resultOf(
    outcome: Outcome,
    ids: AlertIds,
    details: AnnounceDetails,
    published: boolean,
  ): AlertResult {
    return {
      outcome,
      reason: details.reason,
      runId: ids.runId,
      flowId: ids.flowId,
      sandboxName: ids.sandboxName,
      attempt: details.attempt,
      newRunId: details.newRunId,
      dueAt: details.dueAt,
      source: details.source,
      errorCodes: ids.errorCodes,
      published,
    };
  }

  async function announce(outcome: Outcome, ids: AlertIds, details: AnnounceDetails): Promise<AlertResult> {
    await deps.outcomes.publish(
      buildOutcome({
        outcome,
        ids,
        attempt: details.attempt ?? null,
        maxAttempts: policy.maxAttempts,
        reason: details.reason,
        now: clock.now(),
        newRunId: details.newRunId,
        lineage: details.lineage,
        dueAt: details.dueAt,
      }),
    );
    return resultOf(outcome, ids, details, true);
  }

  /** A result that keeps the alert: the handler throws `retry` so it is delivered again. */
  function kept(
    ids: AlertIds,
    thrown: unknown,
    stage: string,
    extra: Partial<AnnounceDetails> = {},
  ): AlertResult {
    const error = toAutoRetryError(thrown, `${stage}${ids.runId ? ` for run ${ids.runId}` : ''}`);
    return { ...resultOf('failed', ids, { ...extra, reason: error.message }, false), retry: error };
  }

  /** A terminal outcome other than `retriggered`: announced first, then recorded. */
  async function conclude(
    work: Work,
    outcome: 'ignored' | 'not_retryable' | 'exhausted' | 'failed' | 'dry_run',
    reason: string,
  ): Promise<AlertResult> {
    const result = await announce(outcome, idsOf(work.alert), {
      reason,
      attempt: work.attempt,
      lineage: work.claim.lineage,
      source: work.alert.source,
    });
    await ledger.finish(work.claim, { outcome, reason, attempt: work.attempt, now: clock.now() });
    return result;
  }

  /** Looks for a run of the flow that an earlier, interrupted POST may have created. */
  async function findAdoptable(work: Work): Promise<FlowRun | undefined> {
    const since = (work.claim.takeover?.previousClaimedAt ?? work.claim.claimedAt) - adoptionSkewMs;
    const runs = await flowService.listRuns(
      scopeOf(work.alert),
      { flowId: work.alert.flowId, createdAfter: since, maxRuns: 100 },
      { deadline: work.context.deadline },
    );
    const candidates = runs.filter((run) => run.id !== work.alert.runId && (run.createdAt ?? 0) >= since);
    const child = candidates.find((run) => run.parentFlowRunId === work.alert.runId);
    if (child) return child;
    // The first run created after the claim is the one the interrupted POST made.
    return candidates
      .filter((run) => run.parentFlowRunId === undefined)
      .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0))[0];
  }

  /** Step 8: record the new run (so it can never be re-triggered again), then announce it. */
  async function recordAndAnnounce(work: Work, newRunId: string, note: string): Promise<AlertResult> {
    await ledger.recordRetrigger(work.claim, {
      newRunId,
      attempt: work.attempt,
      facts: factsOf(work.alert),
      now: clock.now(),
    });
    const details: AnnounceDetails = {
      reason: `re-triggered as run ${newRunId}${note}`,
      attempt: work.attempt,
      newRunId,
      lineage: work.claim.lineage,
      source: work.alert.source,
    };
    let result: AlertResult;
    try {
      result = await announce('retriggered', idsOf(work.alert), details);
    } catch (error) {
      // The lease ends now so the redelivery can announce at once what this one could not.
      await ledger.settleAnnouncement(work.claim, false).catch(() => undefined);
      return kept(idsOf(work.alert), error, 'announcing the re-trigger', details);
    }
    // The message is out; failing to note it only risks a second message later, never a loss.
    await ledger.settleAnnouncement(work.claim, true).catch(() => undefined);
    return result;
  }

  /** Step 7: the POST, never blindly repeated. */
  async function retriggerNow(work: Work): Promise<AlertResult> {
    if (work.mayHavePosted) {
      const adopted = await findAdoptable(work);
      if (adopted)
        return recordAndAnnounce(work, adopted.id, ' (adopted: an interrupted earlier attempt created it)');
    }
    let created: string;
    try {
      created = (
        await flowService.retrigger(scopeOf(work.alert), work.alert.runId, {
          deadline: work.context.deadline,
        })
      ).runId;
    } catch (error) {
      if (!(error instanceof FlowServiceError && error.ambiguous)) throw error;
      work.mayHavePosted = true;
      if (error.kind !== 'transient') throw error;
      const adopted = await findAdoptable(work);
      if (adopted)
        return recordAndAnnounce(work, adopted.id, ' (adopted: the re-trigger call gave no clear answer)');
      throw error;
    }
    work.mayHavePosted = true;
    return recordAndAnnounce(work, created, '');
  }

  /** Steps 5 to 8 for a claimed failure the policy lets through. */
  async function verifyAndAct(work: Work, plan: Plan): Promise<AlertResult> {
    const scope = scopeOf(work.alert);
    const options = { deadline: work.context.deadline };
    const run = await flowService.getRun(scope, work.alert.runId, options);
    if (run.status !== 'failed') {
      return conclude(
        work,
        'ignored',
        `run ${run.id} is ${run.status} now; only failed runs are re-triggered`,
      );
    }
    // Without a wait the POST itself refuses a disabled flow (FLOW-1388-400): one call fewer.
    if (plan.checkFlow) {
      const flow = await flowService.getFlow(scope, work.alert.flowId, options);
      if (flow.state !== 'enabled') {
        return conclude(work, 'not_retryable', `dataflow ${flow.id} is ${flow.state}; it must be enabled`);
      }
    }
    if (work.dryRun) {
      const when = plan.delaySeconds > 0 ? `in ${plan.delaySeconds} s` : 'now';
      return conclude(work, 'dry_run', `would re-trigger ${when}: ${plan.reason}`);
    }
    if (plan.delaySeconds > 0) return schedule(work, plan);
    return retriggerNow(work);
  }

  /** Step 6: the wait goes on the delay queue; the same function picks it up. */
  async function schedule(work: Work, plan: Plan): Promise<AlertResult> {
    const now = clock.now();
    const dueAt = now + plan.delaySeconds * 1000;
    const message: DelayedRetry = {
      kind: DELAYED_KIND,
      version: 1,
      alert: work.alert,
      attempt: work.attempt,
      dueAt,
      scheduleToken: work.claim.token,
    };
    // Sent before the ledger says `scheduled`: a crash in between leaves a message whose token
    // no longer matches once a redelivery claims again, so it fires nothing.
    await deps.delayQueue.send(message, Math.min(plan.delaySeconds, MAX_QUEUE_DELAY_SECONDS));
    await ledger.markScheduled(work.claim, { dueAt, attempt: work.attempt, now });
    const details: AnnounceDetails = {
      reason: `re-trigger due in ${plan.delaySeconds} s: ${plan.reason}`,
      attempt: work.attempt,
      dueAt,
      lineage: work.claim.lineage,
      source: work.alert.source,
    };
    // `scheduled` is not terminal; losing its message loses no work, so it is not retried.
    return announce('scheduled', idsOf(work.alert), details).catch(() =>
      resultOf(
        'scheduled',
        idsOf(work.alert),
        { ...details, reason: `${details.reason} (announcement failed)` },
        false,
      ),
    );
  }

  async function release(work: Work, error: AutoRetryError): Promise<AlertResult> {
    await ledger.release(work.claim, { mayHavePosted: work.mayHavePosted }).catch(() => undefined);
    return {
      ...kept(idsOf(work.alert), error, 'handling'),
      attempt: work.attempt,
      source: work.alert.source,
    };
  }

  /**
   * Settles an error after a claim: Adobe's refusals and permanent errors become outcomes; the
   * rest gives the claim back and keeps the alert.
   */
  async function settle(work: Work, thrown: unknown): Promise<AlertResult> {
    const error = toAutoRetryError(thrown, `run ${work.alert.runId}`);
    if (error.kind !== 'refused' && error.kind !== 'permanent') return release(work, error);
    const code = error instanceof FlowServiceError ? error.code : undefined;
    const reason =
      error.kind === 'refused'
        ? `Flow Service refused the re-trigger (${code ?? 'no code'}): ${(code && REFUSAL_CODES[code]) ?? error.message}`
        : error.message;
    try {
      return await conclude(work, error.kind === 'refused' ? 'not_retryable' : 'failed', reason);
    } catch (secondary) {
      return release(work, toAutoRetryError(secondary, `recording the outcome for run ${work.alert.runId}`));
    }
  }

  /** A duplicate delivery: nothing is done, unless a recorded re-trigger was never announced. */
  async function onDuplicate(
    alert: FailedRunAlert,
    existing: RunRecord,
    attempt?: number,
  ): Promise<AlertResult> {
    const details: AnnounceDetails = {
      reason: describeExisting(existing),
      attempt: attempt ?? existing.attempt,
      newRunId: existing.childRunId,
      lineage: existing.lineage,
      source: alert.source,
    };
    const unannounced =
      existing.state === 'done' &&
      existing.outcome === 'retriggered' &&
      existing.announced === false &&
      existing.childRunId !== undefined &&
      (existing.leaseUntil ?? 0) < clock.now();
    if (!unannounced) return resultOf('duplicate', idsOf(alert), details, false);
    const late = { ...details, reason: `re-triggered as run ${existing.childRunId} (announced late)` };
    try {
      const result = await announce('retriggered', idsOf(alert), late);
      await ledger.markReannounced(alert.runId).catch(() => undefined);
      return result;
    } catch (error) {
      return kept(idsOf(alert), error, 'announcing a recorded re-trigger', late);
    }
  }

  async function withClaim(
    alert: FailedRunAlert,
    claimResult: ClaimResult,
    context: AlertContext,
    options: { dryRun: boolean; attempt?: number },
    act: (work: Work) => Promise<AlertResult>,
  ): Promise<AlertResult> {
    if (!claimResult.claimed) return onDuplicate(alert, claimResult.existing, options.attempt);
    const { claim } = claimResult;
    const work: Work = {
      alert,
      claim,
      attempt: options.attempt ?? (claim.lineage?.attempt ?? 0) + 1,
      context,
      dryRun: options.dryRun,
      mayHavePosted: claim.takeover?.mayHavePosted ?? false,
    };
    try {
      return await act(work);
    } catch (error) {
      return settle(work, error);
    }
  }

  /** Steps 2 to 8 for a failure alert (or an operator's request, `manual`). */
  async function handleFailure(
    alert: FailedRunAlert,
    context: AlertContext,
    manual?: { dryRun: boolean },
  ): Promise<AlertResult> {
    let claimResult: ClaimResult;
    try {
      const credential = await deps.credentials.forOrg(alert.imsOrgId);
      if (!credential) {
        const reason = `org ${alert.imsOrgId} has no credential in the credential secret; add one or stop routing its alerts here`;
        return await announce('rejected', idsOf(alert), { reason, source: alert.source });
      }
      claimResult = await ledger.claimRun(alert.runId, factsOf(alert), leaseFor(context), {
        reclaimFinished: manual !== undefined,
      });
    } catch (error) {
      return kept(idsOf(alert), error, 'checking the org and claiming', { source: alert.source });
    }
    const dryRun = manual?.dryRun ?? deps.dryRun;
    return withClaim(alert, claimResult, context, { dryRun }, async (work) => {
      if (manual)
        return verifyAndAct(work, { delaySeconds: 0, checkFlow: true, reason: 'requested by an operator' });
      const pause = await ledger.getFlowPause(alert.flowId);
      const decision = decide({ alert, attempt: work.attempt, policy, pause, random: deps.random() });
      if (decision.action === 'stop') return conclude(work, decision.outcome, decision.reason);
      return verifyAndAct(work, {
        delaySeconds: decision.delaySeconds,
        checkFlow: decision.delaySeconds > 0,
        reason: decision.reason,
      });
    });
  }

  /** A scheduled re-trigger came back from the delay queue. */
  async function fireDelayed(message: DelayedRetry, context: AlertContext): Promise<AlertResult> {
    const { alert } = message;
    const now = clock.now();
    if (message.dueAt - now > 1000) {
      // Not due yet: SQS caps a delay at 15 minutes, so a longer wait hops again.
      const waitSeconds = Math.min(Math.ceil((message.dueAt - now) / 1000), MAX_QUEUE_DELAY_SECONDS);
      try {
        await deps.delayQueue.send(message, waitSeconds);
      } catch (error) {
        return kept(idsOf(alert), error, 're-queueing a scheduled re-trigger', { source: alert.source });
      }
      const details = { reason: `not due yet; waiting another ${waitSeconds} s`, attempt: message.attempt };
      return resultOf(
        'scheduled',
        idsOf(alert),
        { ...details, dueAt: message.dueAt, source: alert.source },
        false,
      );
    }
    let claimResult: ClaimResult;
    try {
      claimResult = await ledger.claimScheduled(alert.runId, message.scheduleToken, leaseFor(context));
    } catch (error) {
      return kept(idsOf(alert), error, 'claiming a scheduled re-trigger', { source: alert.source });
    }
    const options = { dryRun: deps.dryRun, attempt: message.attempt };
    return withClaim(alert, claimResult, context, options, async (work) => {
      const pause = await ledger.getFlowPause(alert.flowId);
      if (pause) {
        const decision = decide({ alert, attempt: work.attempt, policy, pause, random: 0 });
        return conclude(work, 'ignored', decision.reason);
      }
      // The wait may have changed things: the run must still be failed and the flow still enabled.
      return verifyAndAct(work, {
        delaySeconds: 0,
        checkFlow: true,
        reason: 'the scheduled re-trigger is due',
      });
    });
  }

  return {
    async handleAlert(message, context) {
      const normalised = normaliseAlert(message, { eventId: context.eventId });
      if (normalised.kind === 'failure') {
        const { alert } = normalised;
        return handleFailure(
          context.origin === ALERT_ORIGINS.sweep ? { ...alert, source: 'sweep' } : alert,
          context,
        );
      }
      try {
        return await announce(normalised.kind, normalised.ids, { reason: normalised.reason });
      } catch (error) {
        return kept(normalised.ids, error, `publishing the ${normalised.kind} outcome`);
      }
    },

    async handleDelayed(body, context) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      if (isDelayedRetry(parsed)) return fireDelayed(parsed, context);
      const reason = `delay-queue message is not an ${DELAYED_KIND} v1 message`;
      try {
        return await announce('rejected', {}, { reason });
      } catch (error) {
        return kept({}, error, 'publishing the rejected outcome');
      }
    },

    async retryManually(scope, runId, options) {
      let run: FlowRun;
      try {
        run = await flowService.getRun(scope, runId, { deadline: options.deadline });
      } catch (error) {
        const failure = toAutoRetryError(error, `reading run ${runId}`);
        return { ...resultOf('failed', { runId }, { reason: failure.message }, false), retry: failure };
      }
      const alert: FailedRunAlert = {
        runId: run.id,
        flowId: run.flowId,
        sandboxName: scope.sandboxName,
        imsOrgId: scope.orgId,
        errorCodes: run.errorCodes,
        completedAt: run.completedAt,
        source: 'manual',
      };
      return handleFailure(alert, { deadline: options.deadline }, { dryRun: options.dryRun ?? deps.dryRun });
    },
  };
}
