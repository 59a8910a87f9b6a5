/**
 * Everything the emulator knows: credentials, tokens, dataflows, runs and their lineage, fault
 * rules, the call log and counters. Synchronous, so each HTTP request sees a consistent state.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SAFE_ID } from '../lambda/core/run-object';
import { type AlertPayload, alertFor } from './alerts';
import { buildFlow, buildRun, DEFAULT_RUN_ERRORS, newEtag, SOURCES, stableId } from './objects';
import type { SequencedRun } from './runs-query';
import type {
  CallLogEntry,
  CredentialInput,
  EmulatorSettings,
  EmulatorStats,
  FaultRule,
  FaultRuleInput,
  FlowInput,
  FlowObject,
  IssuedToken,
  RunCompletion,
  RunErrorInput,
  RunInput,
  RunLineage,
  RunObject,
  SourceKind,
  SourceType,
} from './types';

/** Defaults of {@link EmulatorSettings}. */
export const DEFAULT_SETTINGS: EmulatorSettings = {
  tokenLifetimeSeconds: 86399,
  latencyMs: 0,
  retriggerResponse: 'tutorial',
  pageSize: 50,
  exposeParentRunId: false,
};

/** Bad input to a state operation; the admin API answers 400 with its message. */
export class EmulatorInputError extends Error {
  override readonly name = 'EmulatorInputError';
}

/** An admin operation on something that does not exist; the admin API answers 404. */
export class EmulatorNotFoundError extends Error {
  override readonly name = 'EmulatorNotFoundError';
}

/** The org and sandbox of a Flow Service request. */
export interface Scope {
  readonly orgId: string;
  readonly sandboxName: string;
}

/** What a valid access token stands for. */
export interface TokenGrant {
  readonly clientId: string;
  readonly orgId: string;
  readonly expiresAt: number;
}

/** The answer of {@link EmulatorState.checkClient}. */
export type ClientCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown_client' | 'wrong_secret' | 'invalid_scope' };

interface CredentialRecord {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  readonly scopes?: readonly string[];
}

interface FlowRecord {
  flow: FlowObject;
  readonly source: SourceType;
}

interface RunRecord {
  run: RunObject;
  readonly seq: number;
  readonly source: SourceType;
  readonly parentRunId?: string;
  readonly children: string[];
}

/** Names of query parameters whose values are never logged. */
const SECRET_PARAMS = new Set([
  'client_secret',
  'access_token',
  'code',
  'token',
  'refresh_token',
  'password',
]);

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new EmulatorInputError(`${what} must be a non-empty string`);
  return value;
}

function optionalId(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  const id = requireString(value, what);
  if (!SAFE_ID.test(id))
    throw new EmulatorInputError(`${what} must look like an id (letters, digits, . _ : -)`);
  return id;
}

function optionalTime(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EmulatorInputError(`${what} must be epoch milliseconds`);
  }
  return value;
}

function checkErrors(value: unknown): readonly RunErrorInput[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new EmulatorInputError('errors must be an array of codes or {code, message?, details?}');
  for (const entry of value) {
    if (typeof entry === 'string' && entry !== '') continue;
    if (typeof entry === 'object' && entry !== null && typeof (entry as { code?: unknown }).code === 'string')
      continue;
    throw new EmulatorInputError('errors must be an array of codes or {code, message?, details?}');
  }
  return value as RunErrorInput[];
}

/** The state of one emulator; `startEmulator` exposes it as `state`. */
export class EmulatorState {
  private readonly initialSettings: EmulatorSettings;
  private current: EmulatorSettings;
  private readonly credentials = new Map<string, CredentialRecord>();
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly flows = new Map<string, FlowRecord>();
  private readonly runs = new Map<string, RunRecord>();
  private faultRules: { rule: FaultRule; regex?: RegExp }[] = [];
  private callLog: CallLogEntry[] = [];
  private seq = 0;
  private counters = EmulatorState.emptyCounters();

  /** @param settings the starting settings; `reset()` returns to them */
  constructor(settings: Partial<EmulatorSettings> = {}) {
    this.initialSettings = EmulatorState.checkSettings({ ...DEFAULT_SETTINGS }, settings);
    this.current = this.initialSettings;
  }

  private static emptyCounters() {
    return {
      total: 0,
      byRoute: {} as Record<string, number>,
      byStatus: {} as Record<string, number>,
      tokensTotal: 0,
      tokensByClient: {} as Record<string, number>,
      retriggersTotal: 0,
      retriggersBySourceRun: {} as Record<string, number>,
      faultsApplied: 0,
    };
  }

  private static checkSettings(base: EmulatorSettings, patch: Partial<EmulatorSettings>): EmulatorSettings {
    const next = { ...base, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    const whole = (value: number, min: number) => Number.isInteger(value) && value >= min;
    if (!whole(next.tokenLifetimeSeconds, 1))
      throw new EmulatorInputError('tokenLifetimeSeconds must be a whole number ≥ 1');
    if (!whole(next.latencyMs, 0)) throw new EmulatorInputError('latencyMs must be a whole number ≥ 0');
    if (!whole(next.pageSize, 1) || next.pageSize > 1000)
      throw new EmulatorInputError('pageSize must be from 1 to 1000');
    if (next.retriggerResponse !== 'tutorial' && next.retriggerResponse !== 'run') {
      throw new EmulatorInputError("retriggerResponse must be 'tutorial' or 'run'");
    }
    if (typeof next.exposeParentRunId !== 'boolean')
      throw new EmulatorInputError('exposeParentRunId must be a boolean');
    return next;
  }

  /** The current settings. */
  get settings(): EmulatorSettings {
    return this.current;
  }

  /** Changes settings (latency, re-trigger answer shape, page size, ...) from now on. */
  configure(patch: Partial<EmulatorSettings>): EmulatorSettings {
    this.current = EmulatorState.checkSettings(this.current, patch);
    return this.current;
  }

  /** Forgets everything: credentials, tokens, flows, runs, faults, calls, counters; settings go back to the start. */
  reset(): void {
    this.current = this.initialSettings;
    this.credentials.clear();
    this.tokens.clear();
    this.flows.clear();
    this.runs.clear();
    this.faultRules = [];
    this.callLog = [];
    this.seq = 0;
    this.counters = EmulatorState.emptyCounters();
  }

  // ---- IMS -------------------------------------------------------------------------------------

  /** Registers (or replaces) an OAuth Server-to-Server credential. Answers it without the secret. */
  addCredential(input: CredentialInput): { clientId: string; orgId: string; scopes?: readonly string[] } {
    const clientId = requireString(input?.clientId, 'clientId');
    const clientSecret = requireString(input.clientSecret, 'clientSecret');
    const orgId = requireString(input.orgId, 'orgId');
    if (
      input.scopes !== undefined &&
      (!Array.isArray(input.scopes) || !input.scopes.every((s) => typeof s === 'string'))
    ) {
      throw new EmulatorInputError('scopes must be an array of strings');
    }
    this.credentials.set(clientId, {
      clientId,
      clientSecret,
      orgId,
      ...(input.scopes ? { scopes: input.scopes } : {}),
    });
    return { clientId, orgId, ...(input.scopes ? { scopes: input.scopes } : {}) };
  }

  /** Checks a token request's client, secret and scope. */
  checkClient(clientId: string, clientSecret: string, scope: string): ClientCheck {
    const credential = this.credentials.get(clientId);
    if (!credential) return { ok: false, reason: 'unknown_client' };
    if (credential.clientSecret !== clientSecret) return { ok: false, reason: 'wrong_secret' };
    if (credential.scopes) {
      const allowed = new Set(credential.scopes);
      const asked = scope.split(/[\s,]+/).filter((item) => item !== '');
      if (!asked.every((item) => allowed.has(item))) return { ok: false, reason: 'invalid_scope' };
    }
    return { ok: true };
  }

  /** Mints an access token for a registered client, as a successful IMS request does. */
  issueToken(clientId: string): IssuedToken {
    const credential = this.credentials.get(clientId);
    if (!credential) throw new EmulatorNotFoundError(`no credential with clientId ${clientId}; add it first`);
    const accessToken = randomBytes(48).toString('base64url');
    const lifetime = this.current.tokenLifetimeSeconds;
    this.tokens.set(accessToken, {
      clientId,
      orgId: credential.orgId,
      expiresAt: Date.now() + lifetime * 1000,
    });
    this.counters.tokensTotal += 1;
    this.counters.tokensByClient[clientId] = (this.counters.tokensByClient[clientId] ?? 0) + 1;
    return { access_token: accessToken, token_type: 'bearer', expires_in: lifetime };
  }

  /** What a token stands for, or undefined when it is unknown or expired. */
  resolveToken(accessToken: string): TokenGrant | undefined {
    const grant = this.tokens.get(accessToken);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    return grant;
  }

  /** Expires every token issued so far: the next Flow Service call with one answers 401013. */
  expireTokens(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  // ---- flows -----------------------------------------------------------------------------------

  /** Creates a dataflow, or replaces the one with the same id (keeping its creation time). */
  addFlow(input: FlowInput): FlowObject {
    const id = optionalId(input?.id, 'id') ?? randomUUID();
    const sandboxName = requireString(input.sandboxName, 'sandboxName');
    const orgId = requireString(input.orgId, 'orgId');
    const kind: SourceKind = input.sourceKind ?? 'batch';
    if (kind !== 'batch' && kind !== 'streaming')
      throw new EmulatorInputError("sourceKind must be 'batch' or 'streaming'");
    const source: SourceType = input.source ?? (kind === 'batch' ? 'sftp' : 'http-api');
    const sourceSpec = SOURCES[source];
    if (!sourceSpec) throw new EmulatorInputError(`source must be one of ${Object.keys(SOURCES).join(', ')}`);
    if (input.sourceKind !== undefined && sourceSpec.kind !== kind) {
      throw new EmulatorInputError(`source ${source} is a ${sourceSpec.kind} source, not ${kind}`);
    }
    const state = input.state === undefined ? 'enabled' : requireString(input.state, 'state');
    const existing = this.flows.get(id);
    const now = Date.now();
    const flow = buildFlow({
      id,
      name:
        input.name === undefined
          ? `${sourceSpec.label} dataflow ${id.slice(0, 8)}`
          : requireString(input.name, 'name'),
      state,
      sandboxName,
      orgId,
      source,
      createdAt: existing?.flow.createdAt ?? now,
      updatedAt: now,
      etag: newEtag(now),
      sourceConnectionId: existing?.flow.sourceConnectionIds[0] ?? stableId(`source-connection:${id}`),
      targetConnectionId: existing?.flow.targetConnectionIds[0] ?? stableId(`target-connection:${id}`),
    });
    this.flows.set(id, { flow, source });
    return this.flowView(id) as FlowObject;
  }

  /** A dataflow, with `lastRunDetails` from its latest finished run; ignores org and sandbox. */
  getFlow(flowId: string): FlowObject | undefined {
    return this.flowView(flowId);
  }

  /** A dataflow the caller's org and sandbox can see. */
  findFlow(flowId: string, scope: Scope): FlowObject | undefined {
    const flow = this.flowView(flowId);
    return flow && flow.imsOrgId === scope.orgId && flow.sandboxName === scope.sandboxName ? flow : undefined;
  }

  /** Every dataflow. */
  listFlows(): FlowObject[] {
    return [...this.flows.keys()].map((id) => this.flowView(id) as FlowObject);
  }

  /** Whether the dataflow's source is batch or streaming. */
  sourceKindOf(flowId: string): SourceKind | undefined {
    const record = this.flows.get(flowId);
    return record ? SOURCES[record.source].kind : undefined;
  }

  private flowView(flowId: string): FlowObject | undefined {
    const record = this.flows.get(flowId);
    if (!record) return undefined;
    const last = [...this.runs.values()]
      .filter(
        (entry) =>
          entry.run.flowId === flowId &&
          ['success', 'failed'].includes(entry.run.metrics.statusSummary.status),
      )
      .sort((a, b) => b.run.createdAt - a.run.createdAt || b.seq - a.seq)[0];
    const flow = structuredClone(record.flow);
    if (!last) return flow;
    const { durationSummary, statusSummary } = last.run.metrics;
    return {
      ...flow,
      lastRunDetails: {
        id: last.run.id,
        state: statusSummary.status,
        startedAtUTC: durationSummary.startedAtUTC,
        ...(durationSummary.completedAtUTC !== undefined
          ? { completedAtUTC: durationSummary.completedAtUTC }
          : {}),
      },
    };
  }

  // ---- runs ------------------------------------------------------------------------------------

  /** Creates a run of a dataflow (or replaces the one with the same id). Default: a failed run as in reference 4.3. */
  addRun(input: RunInput): RunObject {
    const flowId = requireString(input?.flowId, 'flowId');
    const id = optionalId(input.id, 'id') ?? randomUUID();
    const status = input.status ?? 'failed';
    if (!['failed', 'success', 'inProgress'].includes(status)) {
      throw new EmulatorInputError("status must be 'failed', 'success' or 'inProgress'");
    }
    const flow = this.flows.get(flowId);
    const sandboxName = input.sandboxName ?? flow?.flow.sandboxName;
    const orgId = input.orgId ?? flow?.flow.imsOrgId;
    if (!sandboxName || !orgId) {
      throw new EmulatorInputError(
        `flow ${flowId} does not exist; add it first, or give sandboxName and orgId`,
      );
    }
    const now = Date.now();
    const createdAt = optionalTime(input.createdAt, 'createdAt') ?? now;
    const startedAt = optionalTime(input.startedAt, 'startedAt') ?? createdAt;
    const finished = status !== 'inProgress';
    const completedAt = finished
      ? (optionalTime(input.completedAt, 'completedAt') ??
        Math.max(startedAt, Math.min(startedAt + 60_000, now)))
      : undefined;
    const errors = checkErrors(input.errors) ?? (status === 'failed' ? DEFAULT_RUN_ERRORS : []);
    const ingestedRecords = input.ingestedRecords ?? 100;
    if (!Number.isInteger(ingestedRecords) || ingestedRecords < 0) {
      throw new EmulatorInputError('ingestedRecords must be a whole number ≥ 0');
    }
    const source = flow?.source ?? 'sftp';
    const existing = this.runs.get(id);
    const run = buildRun(
      {
        flowId,
        sandboxName,
        orgId,
        flowSpecId: flow?.flow.flowSpec.id ?? SOURCES[source].flowSpecId,
        source,
      },
      {
        id,
        status,
        errors,
        ingestedRecords,
        createdAt,
        startedAt,
        completedAt,
        updatedAt: completedAt ?? createdAt,
        client: 'acp_foundation_connectors',
        etag: newEtag(now),
      },
    );
    this.runs.set(id, {
      run,
      seq: existing?.seq ?? ++this.seq,
      source,
      ...(existing?.parentRunId ? { parentRunId: existing.parentRunId } : {}),
      children: existing?.children ?? [],
    });
    return this.runView(id) as RunObject;
  }

  /**
   * Ends a run (failed or success) and answers the alert Adobe would send about it: a "Sources
   * Flow Run Failure" payload for a failed run, a Success one otherwise.
   */
  completeRun(runId: string, completion: RunCompletion): AlertPayload {
    const record = this.runs.get(runId);
    if (!record) throw new EmulatorNotFoundError(`no run ${runId}`);
    if (completion?.status !== 'failed' && completion?.status !== 'success') {
      throw new EmulatorInputError("status must be 'failed' or 'success'");
    }
    const errors =
      checkErrors(completion.errors) ?? (completion.status === 'failed' ? DEFAULT_RUN_ERRORS : []);
    const now = Date.now();
    const { run } = record;
    record.run = {
      ...buildRun(
        {
          flowId: run.flowId,
          sandboxName: run.sandboxName,
          orgId: run.imsOrgId,
          flowSpecId: run.flowSpec.id,
          source: record.source,
        },
        {
          id: run.id,
          status: completion.status,
          errors,
          ingestedRecords: completion.ingestedRecords ?? 100,
          createdAt: run.createdAt,
          startedAt: run.metrics.durationSummary.startedAtUTC,
          completedAt: Math.max(now, run.metrics.durationSummary.startedAtUTC),
          updatedAt: now,
          client: run.createdClient,
          etag: newEtag(now),
          providerRefId: run.providerRefId,
        },
      ),
      createdBy: run.createdBy,
    };
    const flowName = this.flows.get(run.flowId)?.flow.name ?? `Dataflow ${run.flowId}`;
    return alertFor(this.runView(runId) as RunObject, { name: flowName });
  }

  /** A run; ignores org and sandbox. */
  getRun(runId: string): RunObject | undefined {
    return this.runView(runId);
  }

  /** A run the caller's org and sandbox can see. */
  findRun(runId: string, scope: Scope): RunObject | undefined {
    const run = this.runView(runId);
    return run && run.imsOrgId === scope.orgId && run.sandboxName === scope.sandboxName ? run : undefined;
  }

  /** Runs, newest first; only a dataflow's when `flowId` is given. */
  listRuns(filter: { flowId?: string } = {}): RunObject[] {
    return this.sequencedRuns()
      .filter((entry) => filter.flowId === undefined || entry.run.flowId === filter.flowId)
      .sort((a, b) => b.run.createdAt - a.run.createdAt || b.seq - a.seq)
      .map((entry) => entry.run);
  }

  /** The runs an org and sandbox can see, with their insertion order, for `GET /runs`. */
  runsInScope(scope: Scope): SequencedRun[] {
    return this.sequencedRuns().filter(
      (entry) => entry.run.imsOrgId === scope.orgId && entry.run.sandboxName === scope.sandboxName,
    );
  }

  private sequencedRuns(): SequencedRun[] {
    return [...this.runs.keys()].map((id) => ({
      run: this.runView(id) as RunObject,
      seq: (this.runs.get(id) as RunRecord).seq,
    }));
  }

  private runView(runId: string): RunObject | undefined {
    const record = this.runs.get(runId);
    if (!record) return undefined;
    const run = structuredClone(record.run);
    return this.current.exposeParentRunId && record.parentRunId
      ? { ...run, parentFlowRunId: record.parentRunId }
      : run;
  }

  /**
   * Creates the run a re-trigger starts: new id, same flow, `inProgress`, remembered as a child of
   * `parentRunId`. The caller has checked that the re-trigger is allowed.
   */
  createRetriggeredRun(parentRunId: string, clientId: string): RunObject {
    const parent = this.runs.get(parentRunId);
    if (!parent) throw new EmulatorNotFoundError(`no run ${parentRunId}`);
    const now = Date.now();
    const id = randomUUID();
    const run = buildRun(
      {
        flowId: parent.run.flowId,
        sandboxName: parent.run.sandboxName,
        orgId: parent.run.imsOrgId,
        flowSpecId: parent.run.flowSpec.id,
        source: parent.source,
      },
      {
        id,
        status: 'inProgress',
        errors: [],
        ingestedRecords: 0,
        createdAt: now,
        startedAt: now,
        updatedAt: now,
        client: clientId,
        etag: newEtag(now),
      },
    );
    this.runs.set(id, { run, seq: ++this.seq, source: parent.source, parentRunId, children: [] });
    parent.children.push(id);
    this.counters.retriggersTotal += 1;
    this.counters.retriggersBySourceRun[parentRunId] =
      (this.counters.retriggersBySourceRun[parentRunId] ?? 0) + 1;
    return this.runView(id) as RunObject;
  }

  /** Where a run comes from and what it led to. */
  lineage(runId: string): RunLineage {
    const record = this.runs.get(runId);
    if (!record) throw new EmulatorNotFoundError(`no run ${runId}`);
    const chain = [runId];
    let current = record;
    // Lineage is a tree built by this class, so walking parents always ends; the guard is for safety.
    while (current.parentRunId && chain.length < 10_000) {
      chain.unshift(current.parentRunId);
      const parent = this.runs.get(current.parentRunId);
      if (!parent) break;
      current = parent;
    }
    return {
      runId,
      retriggeredFrom: record.parentRunId ?? null,
      rootRunId: chain[0] ?? runId,
      chain,
      retriggeredAs: [...record.children],
    };
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Adds a fault rule; rules apply in the order they were added. */
  addFault(input: FaultRuleInput): FaultRule {
    if (typeof input !== 'object' || input === null)
      throw new EmulatorInputError('a fault rule must be an object');
    const { method, path, status, times = 1, retryAfterSeconds, delayMs, body, applyEffect } = input;
    if (status === undefined && delayMs === undefined) {
      throw new EmulatorInputError('a fault rule needs a status, a delayMs, or both');
    }
    if (status !== undefined && (!Number.isInteger(status) || status < 100 || status > 599)) {
      throw new EmulatorInputError('status must be an HTTP status code (100-599)');
    }
    if (!Number.isInteger(times) || times < 0)
      throw new EmulatorInputError('times must be a whole number ≥ 0 (0 = forever)');
    for (const [name, value] of [
      ['retryAfterSeconds', retryAfterSeconds],
      ['delayMs', delayMs],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new EmulatorInputError(`${name} must be a whole number ≥ 0`);
      }
    }
    if (method !== undefined && typeof method !== 'string')
      throw new EmulatorInputError('method must be a string');
    if (applyEffect !== undefined && typeof applyEffect !== 'boolean') {
      throw new EmulatorInputError('applyEffect must be a boolean');
    }
    let regex: RegExp | undefined;
    if (path !== undefined) {
      try {
        regex = new RegExp(requireString(path, 'path'));
      } catch (error) {
        if (error instanceof EmulatorInputError) throw error;
        throw new EmulatorInputError(`path is not a valid regular expression: ${(error as Error).message}`);
      }
    }
    const rule: FaultRule = {
      id: randomUUID(),
      ...(method !== undefined ? { method: method.toUpperCase() } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(status !== undefined ? { status } : {}),
      times,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(applyEffect !== undefined ? { applyEffect } : {}),
      hits: 0,
    };
    this.faultRules.push({ rule, ...(regex ? { regex } : {}) });
    return rule;
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.faultRules = [];
  }

  /** The fault rules still active. */
  faults(): FaultRule[] {
    return this.faultRules.map((entry) => entry.rule);
  }

  /**
   * Finds the first rule matching the request and counts the hit; a rule whose `times` are spent
   * is removed.
   * @param path the path below the Flow Service base, or the whole path for IMS
   */
  takeFault(method: string, path: string): FaultRule | undefined {
    const index = this.faultRules.findIndex(
      (entry) =>
        (entry.rule.method === undefined || entry.rule.method === method.toUpperCase()) &&
        (entry.regex === undefined || entry.regex.test(path)),
    );
    const entry = this.faultRules[index];
    if (!entry) return undefined;
    const rule = { ...entry.rule, hits: entry.rule.hits + 1 };
    if (rule.times !== 0 && rule.hits >= rule.times) this.faultRules.splice(index, 1);
    else entry.rule = rule;
    this.counters.faultsApplied += 1;
    return rule;
  }

  // ---- observability ---------------------------------------------------------------------------

  /** Appends a call to the log. Query values of secret-looking parameters are redacted here. */
  recordCall(
    entry: Omit<CallLogEntry, 'index' | 'query'> & { readonly query: URLSearchParams },
  ): CallLogEntry {
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(entry.query.keys())) {
      const values = entry.query
        .getAll(key)
        .map((value) => (SECRET_PARAMS.has(key.toLowerCase()) ? '[redacted]' : value));
      query[key] = values.length === 1 ? (values[0] as string) : values;
    }
    const logged: CallLogEntry = { ...entry, index: this.callLog.length, query };
    this.callLog.push(logged);
    this.counters.total += 1;
    this.counters.byRoute[entry.route] = (this.counters.byRoute[entry.route] ?? 0) + 1;
    this.counters.byStatus[String(entry.status)] = (this.counters.byStatus[String(entry.status)] ?? 0) + 1;
    return logged;
  }

  /** The call log, from position `since` (default 0). */
  calls(since = 0): CallLogEntry[] {
    return this.callLog.slice(Math.max(0, since));
  }

  /** Counters: requests by route and status, tokens minted, re-triggers, faults applied. */
  stats(): EmulatorStats {
    const c = this.counters;
    return structuredClone({
      requests: { total: c.total, byRoute: c.byRoute, byStatus: c.byStatus },
      tokensMinted: { total: c.tokensTotal, byClient: c.tokensByClient },
      retriggers: { total: c.retriggersTotal, bySourceRun: c.retriggersBySourceRun },
      faultsApplied: c.faultsApplied,
    });
  }
}
