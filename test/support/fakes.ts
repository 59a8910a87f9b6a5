/**
 * In-process fakes of the ports, for unit tests and the warm-overhead benchmark. The memory ledger
 * follows the DynamoDB adapter's conditions (test/integration/ledger.test.ts holds the real one to
 * the same rules).
 */
import type { ChainLink, OutcomeMessage } from '../../contracts/outcome';
import { AwsCallError, FlowServiceError } from '../../lambda/core/errors';
import type { Credential, Flow, FlowRun, RetriggeredRun, RunScope } from '../../lambda/core/model';
import type {
  Claim,
  ClaimResult,
  CredentialsPort,
  DelayedRetry,
  DelayQueuePort,
  FlowPause,
  FlowServicePort,
  LedgerPort,
  ListRunsQuery,
  OutcomePort,
  RunRecord,
} from '../../lambda/core/ports';

/** A clock tests move by hand. */
export function manualClock(start = 1_800_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(value: number) {
      now = value;
    },
  };
}

interface MemoryItem {
  state: RunRecord['state'];
  claimToken?: string;
  claimedAt?: number;
  leaseUntil?: number;
  mayHavePosted?: boolean;
  scheduleToken?: string;
  record: Partial<RunRecord>;
}

/** A {@link LedgerPort} in memory, with the DynamoDB adapter's conditions. */
export function createMemoryLedger() {
  const runs = new Map<string, MemoryItem>();
  const pauses = new Map<string, FlowPause>();
  let tokens = 0;

  const toRecord = (runId: string, item: MemoryItem): RunRecord => ({
    ...item.record,
    runId,
    state: item.state,
    claimedAt: item.claimedAt,
    leaseUntil: item.leaseUntil,
  });

  function claimFrom(runId: string, item: MemoryItem | undefined, token: string, now: number): Claim {
    const tookOver = item?.state === 'claimed' || (item?.state === 'done' && item.claimedAt !== undefined);
    const crashed = item?.state === 'claimed' && (item.leaseUntil ?? 0) > 0;
    return {
      runId,
      token,
      claimedAt: now,
      lineage: item?.record.lineage,
      ...(tookOver && item
        ? {
            takeover: {
              previousClaimedAt: item.claimedAt ?? now,
              mayHavePosted: crashed || item.mayHavePosted === true,
            },
          }
        : {}),
    };
  }

  function own(claim: Claim, state?: RunRecord['state']): MemoryItem {
    const item = runs.get(claim.runId);
    if (!item || item.claimToken !== claim.token || (state && item.state !== state)) {
      throw new AwsCallError(`the claim on run ${claim.runId} was lost`, { kind: 'transient' });
    }
    return item;
  }

  const ledger: LedgerPort = {
    async claimRun(runId, facts, lease, options = {}) {
      const item = runs.get(runId);
      const free =
        !item ||
        item.state === 'lineage' ||
        (item.state === 'claimed' && (item.leaseUntil ?? 0) < lease.now) ||
        (options.reclaimFinished === true && item.state === 'done' && !item.record.childRunId);
      if (!free && item) return { claimed: false, existing: toRecord(runId, item) } satisfies ClaimResult;
      const token = `token-${++tokens}`;
      const claim = claimFrom(runId, item, token, lease.now);
      const { outcome: _o, reason: _r, announced: _a, ...kept } = item?.record ?? {};
      runs.set(runId, {
        state: 'claimed',
        claimToken: token,
        claimedAt: lease.now,
        leaseUntil: lease.now + lease.leaseMs,
        scheduleToken: item?.scheduleToken,
        record: { ...kept, ...facts },
      });
      return { claimed: true, claim };
    },
    async claimScheduled(runId, scheduleToken, lease) {
      const item = runs.get(runId);
      const free =
        item?.scheduleToken === scheduleToken &&
        (item.state === 'scheduled' || (item.state === 'claimed' && (item.leaseUntil ?? 0) < lease.now));
      if (!free || !item) {
        return { claimed: false, existing: item ? toRecord(runId, item) : { runId, state: 'claimed' } };
      }
      const token = `token-${++tokens}`;
      const claim = claimFrom(runId, item.state === 'claimed' ? item : undefined, token, lease.now);
      Object.assign(item, {
        state: 'claimed',
        claimToken: token,
        claimedAt: lease.now,
        leaseUntil: lease.now + lease.leaseMs,
      });
      return { claimed: true, claim: { ...claim, lineage: item.record.lineage } };
    },
    async markScheduled(claim, details) {
      const item = own(claim, 'claimed');
      item.state = 'scheduled';
      item.scheduleToken = claim.token;
      item.leaseUntil = 0;
      item.record = { ...item.record, dueAt: details.dueAt, attempt: details.attempt };
    },
    async recordRetrigger(claim, details) {
      const item = own(claim, 'claimed');
      item.state = 'done';
      item.mayHavePosted = true;
      item.record = {
        ...item.record,
        outcome: 'retriggered',
        childRunId: details.newRunId,
        attempt: details.attempt,
        reason: `re-triggered as run ${details.newRunId}`,
        announced: false,
      };
      const link: ChainLink = {
        runId: claim.runId,
        attempt: claim.lineage?.attempt ?? 0,
        errorCodes: details.facts.errorCodes,
      };
      const existing = runs.get(details.newRunId);
      if (!existing?.record.lineage) {
        runs.set(details.newRunId, {
          ...(existing ?? { state: 'lineage' }),
          record: {
            ...(existing?.record ?? {}),
            flowId: details.facts.flowId,
            sandboxName: details.facts.sandboxName,
            imsOrgId: details.facts.imsOrgId,
            lineage: {
              rootRunId: claim.lineage?.rootRunId ?? claim.runId,
              parentRunId: claim.runId,
              attempt: details.attempt,
              chain: [...(claim.lineage?.chain ?? []), link],
            },
          },
        });
      }
    },
    async finish(claim, details) {
      const item = own(claim, 'claimed');
      item.state = 'done';
      item.leaseUntil = 0;
      item.record = {
        ...item.record,
        outcome: details.outcome,
        reason: details.reason,
        attempt: details.attempt,
      };
    },
    async settleAnnouncement(claim, announced) {
      const item = own(claim);
      item.leaseUntil = 0;
      item.record = { ...item.record, announced };
    },
    async markReannounced(runId) {
      const item = runs.get(runId);
      if (item?.record.announced === false) item.record = { ...item.record, announced: true };
    },
    async release(claim, details) {
      const item = own(claim, 'claimed');
      item.leaseUntil = 0;
      item.mayHavePosted = details.mayHavePosted;
    },
    async getRun(runId) {
      const item = runs.get(runId);
      return item ? toRecord(runId, item) : null;
    },
    async getFlowPause(flowId) {
      return pauses.get(flowId) ?? null;
    },
    async setFlowPause(flowId, pause) {
      if (pause) pauses.set(flowId, { flowId, ...pause });
      else pauses.delete(flowId);
    },
  };
  return Object.assign(ledger, { runs });
}

/** A call the fake Flow Service saw. */
export interface FlowCall {
  readonly method: 'getRun' | 'getFlow' | 'retrigger' | 'listRuns';
  readonly id?: string;
  readonly scope: RunScope;
}

/** A Flow Service fake: flows, runs, a call log and scripted failures. */
export function createFakeFlowService(clock: { now(): number } = { now: () => Date.now() }) {
  const runs = new Map<string, FlowRun>();
  const flows = new Map<string, Flow>();
  const calls: FlowCall[] = [];
  const failures: { method: FlowCall['method']; error: Error; effect?: boolean }[] = [];
  let created = 0;

  function scripted(method: FlowCall['method']): { error: Error; effect?: boolean } | undefined {
    const index = failures.findIndex((failure) => failure.method === method);
    if (index < 0) return undefined;
    const [failure] = failures.splice(index, 1);
    return failure;
  }

  function createRun(from: FlowRun): FlowRun {
    const run: FlowRun = {
      id: `run-created-${++created}`,
      flowId: from.flowId,
      status: 'inProgress',
      sandboxName: from.sandboxName,
      imsOrgId: from.imsOrgId,
      createdAt: clock.now(),
      errorCodes: [],
    };
    runs.set(run.id, run);
    return run;
  }

  const notFound = (method: string, path: string) =>
    new FlowServiceError(`Flow Service ${method} ${path} answered 404 FLOW-1101-404`, {
      kind: 'permanent',
      method,
      path,
      status: 404,
      code: 'FLOW-1101-404',
    });

  const service: FlowServicePort = {
    async getRun(scope, runId) {
      calls.push({ method: 'getRun', id: runId, scope });
      const failure = scripted('getRun');
      if (failure) throw failure.error;
      const run = runs.get(runId);
      if (!run) throw notFound('GET', `/runs/${runId}`);
      return run;
    },
    async getFlow(scope, flowId) {
      calls.push({ method: 'getFlow', id: flowId, scope });
      const failure = scripted('getFlow');
      if (failure) throw failure.error;
      const flow = flows.get(flowId);
      if (!flow) throw notFound('GET', `/flows/${flowId}`);
      return flow;
    },
    async retrigger(scope, runId): Promise<RetriggeredRun> {
      calls.push({ method: 'retrigger', id: runId, scope });
      const run = runs.get(runId);
      const failure = scripted('retrigger');
      if (failure) {
        if (failure.effect && run) createRun(run);
        throw failure.error;
      }
      if (!run) throw notFound('POST', `/runs/${runId}/action?op=re-trigger`);
      return { runId: createRun(run).id };
    },
    async listRuns(scope, query: ListRunsQuery) {
      calls.push({ method: 'listRuns', id: query.flowId, scope });
      const failure = scripted('listRuns');
      if (failure) throw failure.error;
      return [...runs.values()]
        .filter((run) => !query.flowId || run.flowId === query.flowId)
        .filter((run) => query.createdAfter === undefined || (run.createdAt ?? 0) >= query.createdAfter)
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    },
  };

  return Object.assign(service, {
    runs,
    flows,
    calls,
    /** The next call of `method` throws `error`; with `effect`, a re-trigger still creates its run. */
    failNext(method: FlowCall['method'], error: Error, effect = false) {
      failures.push({ method, error, effect });
    },
    count(method: FlowCall['method']) {
      return calls.filter((call) => call.method === method).length;
    },
  });
}

/** Records published outcomes; can be told to fail. */
export function recordingOutcomes() {
  const messages: OutcomeMessage[] = [];
  let failures = 0;
  const port: OutcomePort = {
    async publish(message) {
      if (failures > 0) {
        failures--;
        throw new AwsCallError('publishing failed: SNS is down', { kind: 'transient' });
      }
      messages.push(message);
    },
  };
  return Object.assign(port, {
    messages,
    failNext(count = 1) {
      failures += count;
    },
  });
}

/** Records scheduled messages. */
export function recordingDelayQueue() {
  const sent: { message: DelayedRetry; delaySeconds: number }[] = [];
  const port: DelayQueuePort = {
    async send(message, delaySeconds) {
      sent.push({ message, delaySeconds });
    },
  };
  return Object.assign(port, { sent });
}

/** Credentials held in memory. */
export function staticCredentials(credentials: readonly Credential[]): CredentialsPort {
  return {
    async forOrg(orgId) {
      return credentials.find((credential) => credential.orgId.toLowerCase() === orgId.toLowerCase()) ?? null;
    },
    async all() {
      return credentials;
    },
  };
}
