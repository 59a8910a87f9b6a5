/**
 * The emulator's public data shapes: what its admin API takes and answers, and the Flow Service
 * objects it serves. Shared by the server, the admin client and tests. Types only.
 */

/** One error entry of a run (`metrics.statusSummary.errors[]`, `extensions.errors[]`, `failedInfo[]`). */
export interface RunError {
  readonly code: string;
  readonly message: string;
}

/** An activity of a run (`activities[]`), as in the documented monitor and alert examples. */
export interface RunActivity {
  readonly id: string;
  readonly name: string;
  readonly updatedAtUTC?: number;
  readonly durationSummary?: { readonly startedAtUTC?: number; readonly completedAtUTC?: number };
  readonly sizeSummary?: { readonly inputBytes: number; readonly outputBytes: number };
  readonly recordSummary?: Record<string, unknown>;
  readonly fileSummary?: { readonly inputFileCount: number; readonly outputFileCount?: number };
  readonly statusSummary: {
    readonly status: string;
    readonly errors?: readonly RunError[];
    readonly extensions?: {
      readonly type?: string;
      readonly errorDetail?: string;
      readonly errors?: readonly RunError[];
    };
  };
  readonly sourceInfo?: readonly unknown[];
  readonly targetInfo?: readonly unknown[];
}

/**
 * A flow run in the documented shape (spec `FlowRunItemDTO`, reference sections 1.4 and 4.3).
 * `etag` is what GET answers carry (the docs' spelling); the re-trigger's `run` answer carries
 * `eTag` (the spec's spelling) instead.
 */
export interface RunObject {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly createdBy: string;
  readonly updatedBy: string;
  readonly createdClient: string;
  readonly updatedClient: string;
  readonly sandboxId: string;
  readonly sandboxName: string;
  readonly imsOrgId: string;
  readonly flowId: string;
  readonly flowSpec: { readonly id: string; readonly version: string };
  readonly providerRefId: string;
  readonly etag?: string;
  readonly eTag?: string;
  readonly metrics: {
    readonly durationSummary: { readonly startedAtUTC: number; readonly completedAtUTC?: number };
    readonly sizeSummary: { readonly inputBytes: number; readonly outputBytes: number };
    readonly recordSummary: {
      readonly inputRecordCount: number;
      readonly outputRecordCount: number;
      readonly failedRecordCount: number;
      readonly failedInfo?: readonly RunError[];
    };
    readonly fileSummary: { readonly inputFileCount: number; readonly outputFileCount: number };
    readonly statusSummary: {
      readonly status: string;
      readonly errors?: readonly RunError[];
      readonly activityRefs?: readonly string[];
    };
  };
  readonly activities: readonly RunActivity[];
  /** Only with the `exposeParentRunId` setting: the run this one was re-triggered from. */
  readonly parentFlowRunId?: string;
}

/** A dataflow in the documented shape (spec `FlowItemDTO`, reference section 1.5). */
export interface FlowObject {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly createdBy: string;
  readonly updatedBy: string;
  readonly createdClient: string;
  readonly updatedClient: string;
  readonly sandboxId: string;
  readonly sandboxName: string;
  readonly imsOrgId: string;
  readonly name: string;
  readonly description: string;
  readonly flowSpec: { readonly id: string; readonly version: string };
  readonly state: string;
  readonly version: string;
  readonly etag: string;
  readonly sourceConnectionIds: readonly string[];
  readonly targetConnectionIds: readonly string[];
  readonly inheritedAttributes: {
    readonly sourceConnections: readonly {
      readonly id: string;
      readonly connectionSpec: { readonly id: string; readonly version: string };
    }[];
    readonly targetConnections: readonly {
      readonly id: string;
      readonly connectionSpec: { readonly id: string; readonly version: string };
    }[];
  };
  readonly scheduleParams?: {
    readonly startTime: number;
    readonly frequency: string;
    readonly interval: number;
    readonly backfill: boolean;
  };
  readonly transformations: readonly unknown[];
  readonly runs: string;
  readonly lastRunDetails?: {
    readonly id: string;
    readonly state: string;
    readonly startedAtUTC: number;
    readonly completedAtUTC?: number;
  };
}

/** Batch sources can be re-triggered; streaming ones answer `FLOW-1333-400`. */
export type SourceKind = 'batch' | 'streaming';

/** A known source, which sets the connection spec id and the activity names. */
export type SourceType = 'sftp' | 's3' | 'bigquery' | 'http-api';

/** An OAuth Server-to-Server credential the emulated IMS accepts. */
export interface CredentialInput {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  /** When given, a token request must ask only for these scopes (else `invalid_scope`). */
  readonly scopes?: readonly string[];
}

/** A dataflow to create (or replace, when `id` is known); the rest is filled in. */
export interface FlowInput {
  readonly id?: string;
  readonly name?: string;
  /** @default 'enabled' */
  readonly state?: string;
  readonly sandboxName: string;
  readonly orgId: string;
  /** @default 'batch' */
  readonly sourceKind?: SourceKind;
  /** @default 'sftp' for batch, 'http-api' for streaming */
  readonly source?: SourceType;
}

/** A run error to put on a run: a code, or a code with a message and nested detail codes. */
export type RunErrorInput =
  | string
  | {
      readonly code: string;
      readonly message?: string;
      /** Nested codes (activity `extensions.errors`, `recordSummary.failedInfo`), e.g. `2200`. */
      readonly details?: readonly (string | { readonly code: string; readonly message?: string })[];
    };

/** A run to create (or replace, when `id` is known); the rest is filled in. */
export interface RunInput {
  readonly id?: string;
  readonly flowId: string;
  /** @default 'failed' */
  readonly status?: 'failed' | 'success' | 'inProgress';
  /**
   * Errors of a failed (or partially successful) run.
   * @default CONNECTOR-1001-500 with nested 2200 (reference 4.3) for a failed run
   */
  readonly errors?: readonly RunErrorInput[];
  /** Records ingested by a successful run; 0 makes it re-triggerable. @default 100 */
  readonly ingestedRecords?: number;
  /** Epoch ms. @default now */
  readonly createdAt?: number;
  /** Epoch ms. @default createdAt */
  readonly startedAt?: number;
  /** Epoch ms, for a finished run. @default a minute after startedAt, at the latest now */
  readonly completedAt?: number;
  /** Needed only when the flow does not exist (a run whose flow was deleted). */
  readonly sandboxName?: string;
  readonly orgId?: string;
}

/** How a run ends, for `completeRun`. */
export interface RunCompletion {
  readonly status: 'failed' | 'success';
  readonly errors?: readonly RunErrorInput[];
  readonly ingestedRecords?: number;
}

/** Where a run comes from: the re-triggers that led to it. */
export interface RunLineage {
  readonly runId: string;
  /** The run this one was re-triggered from; null for a run nobody re-triggered. */
  readonly retriggeredFrom: string | null;
  /** The first run of the chain (this run when it is not a re-trigger). */
  readonly rootRunId: string;
  /** Run ids from the root to this run, inclusive. */
  readonly chain: readonly string[];
  /** Runs created by re-triggering this one, oldest first. */
  readonly retriggeredAs: readonly string[];
}

/** A fault to inject into IMS or Flow Service answers. */
export interface FaultRuleInput {
  /** HTTP method to match; any when left out. */
  readonly method?: string;
  /**
   * Regular expression matched against the path below the Flow Service base
   * (`^/runs/[^/]+/action`), or the whole path for IMS (`^/ims/`). Any path when left out.
   */
  readonly path?: string;
  /** Status to answer. Leave it out for a rule that only slows the request down. */
  readonly status?: number;
  /** How many matching requests the rule applies to; 0 means forever. @default 1 */
  readonly times?: number;
  /** Sets `Retry-After` (seconds) on the answer. */
  readonly retryAfterSeconds?: number;
  /** Waits this long before answering. */
  readonly delayMs?: number;
  /** JSON to answer. @default a gateway 429050 body, or a FLOW-1102/1103/1104 body for 5xx */
  readonly body?: unknown;
  /**
   * Handle the request for real (the re-trigger creates its run), then wait `delayMs` and answer
   * with the fault: a POST that timed out or failed yet took effect.
   */
  readonly applyEffect?: boolean;
}

/** A fault rule as stored. */
export interface FaultRule extends FaultRuleInput {
  readonly id: string;
  readonly times: number;
  /** Requests it has applied to so far. */
  readonly hits: number;
}

/** One IMS or Flow Service request, as logged. Never holds a token, a secret or a header value. */
export interface CallLogEntry {
  /** Position in the log; pass `since` to read only later calls. */
  readonly index: number;
  /** ISO time the request arrived. */
  readonly at: string;
  readonly method: string;
  /** The full path, without the query. */
  readonly path: string;
  /** Query parameters; repeated ones as arrays; secrets redacted. */
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** Route name, e.g. `runs.get`, `runs.action`, `ims.token`. */
  readonly route: string;
  readonly status: number;
  /** The `x-sandbox-name` header, when sent. */
  readonly sandbox: string | null;
  /** The `x-gw-ims-org-id` header, when sent. */
  readonly org: string | null;
  /** The token's client, else the `x-api-key` header or the IMS `client_id`. */
  readonly clientId?: string;
  readonly durationMs: number;
  /** The fault rule that applied, if any. */
  readonly faultId?: string;
}

/** Counters for tests and benchmarks. */
export interface EmulatorStats {
  readonly requests: {
    readonly total: number;
    readonly byRoute: Readonly<Record<string, number>>;
    readonly byStatus: Readonly<Record<string, number>>;
  };
  readonly tokensMinted: { readonly total: number; readonly byClient: Readonly<Record<string, number>> };
  /** Runs created by re-trigger POSTs (those with `applyEffect` faults included). */
  readonly retriggers: { readonly total: number; readonly bySourceRun: Readonly<Record<string, number>> };
  readonly faultsApplied: number;
}

/** Behaviour that can change while the emulator runs. */
export interface EmulatorSettings {
  /** `expires_in` of new tokens, in seconds. @default 86399 */
  readonly tokenLifetimeSeconds: number;
  /** Added before every IMS and Flow Service answer. @default 0 */
  readonly latencyMs: number;
  /** `tutorial`: `{id, etag}`; `run`: the new run object with `eTag`. @default 'tutorial' */
  readonly retriggerResponse: 'tutorial' | 'run';
  /** Default `limit` of `GET /runs`. @default 50 */
  readonly pageSize: number;
  /** Put `parentFlowRunId` on re-triggered runs [UNCONFIRMED in Adobe's docs]. @default false */
  readonly exposeParentRunId: boolean;
}

/** An IMS token, as `issueToken` answers it. */
export interface IssuedToken {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}
