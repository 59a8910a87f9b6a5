/**
 * A typed client of the emulator's admin API, for processes that did not start the emulator
 * (the sandbox, the CLI, benchmarks). Uses global fetch.
 */
import type { AlertPayload } from './alerts';
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
  RunInput,
  RunLineage,
  RunObject,
} from './types';

/** The admin API answered with an error status. */
export class EmulatorAdminError extends Error {
  override readonly name = 'EmulatorAdminError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    detail: string,
  ) {
    super(`emulator admin ${method} ${path} answered ${status}: ${detail}`);
  }
}

/** The admin API's operations; each mirrors the `EmulatorState` method of the same name. */
export interface AdminClient {
  reset(): Promise<void>;
  settings(): Promise<EmulatorSettings>;
  configure(patch: Partial<EmulatorSettings>): Promise<EmulatorSettings>;
  addCredential(input: CredentialInput): Promise<{ clientId: string; orgId: string }>;
  issueToken(clientId: string): Promise<IssuedToken>;
  expireTokens(): Promise<number>;
  addFlow(input: FlowInput): Promise<FlowObject>;
  getFlow(flowId: string): Promise<FlowObject | undefined>;
  listFlows(): Promise<FlowObject[]>;
  addRun(input: RunInput): Promise<RunObject>;
  getRun(runId: string): Promise<RunObject | undefined>;
  listRuns(filter?: { flowId?: string }): Promise<RunObject[]>;
  /** Ends a run and answers the alert payload Adobe would send about it. */
  completeRun(runId: string, completion: RunCompletion): Promise<AlertPayload>;
  lineage(runId: string): Promise<RunLineage>;
  addFault(rule: FaultRuleInput): Promise<FaultRule>;
  faults(): Promise<FaultRule[]>;
  clearFaults(): Promise<void>;
  calls(since?: number): Promise<CallLogEntry[]>;
  stats(): Promise<EmulatorStats>;
}

/**
 * A client of the admin API of the emulator at `url` (its origin, `Emulator.url`).
 * @param fetchImpl for tests; defaults to global fetch
 */
export function createAdminClient(url: string, fetchImpl: typeof fetch = fetch): AdminClient {
  const base = `${url.replace(/\/+$/, '')}/__admin`;

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    allow404 = false,
  ): Promise<T | undefined> {
    const response = await fetchImpl(`${base}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    const text = await response.text();
    if (allow404 && response.status === 404) return undefined;
    if (!response.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // Not JSON: keep the text.
      }
      throw new EmulatorAdminError(response.status, method, `/__admin${path}`, detail);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const must = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await call<T>(method, path, body)) as T;
  const id = encodeURIComponent;

  return {
    reset: async () => void (await call('POST', '/reset')),
    settings: () => must('GET', '/settings'),
    configure: (patch) => must('POST', '/settings', patch),
    addCredential: (input) => must('POST', '/credentials', input),
    issueToken: (clientId) => must('POST', '/tokens', { clientId }),
    expireTokens: async () => (await must<{ expired: number }>('POST', '/tokens/expire')).expired,
    addFlow: (input) => must('POST', '/flows', input),
    getFlow: (flowId) => call('GET', `/flows/${id(flowId)}`, undefined, true),
    listFlows: async () => (await must<{ items: FlowObject[] }>('GET', '/flows')).items,
    addRun: (input) => must('POST', '/runs', input),
    getRun: (runId) => call('GET', `/runs/${id(runId)}`, undefined, true),
    listRuns: async (filter = {}) =>
      (
        await must<{ items: RunObject[] }>(
          'GET',
          `/runs${filter.flowId ? `?flowId=${id(filter.flowId)}` : ''}`,
        )
      ).items,
    completeRun: (runId, completion) => must('POST', `/runs/${id(runId)}/complete`, completion),
    lineage: (runId) => must('GET', `/runs/${id(runId)}/lineage`),
    addFault: (rule) => must('POST', '/faults', rule),
    faults: async () => (await must<{ items: FaultRule[] }>('GET', '/faults')).items,
    clearFaults: async () => void (await call('DELETE', '/faults')),
    calls: async (since = 0) => (await must<{ items: CallLogEntry[] }>('GET', `/calls?since=${since}`)).items,
    stats: () => must('GET', '/stats'),
  };
}
