/**
 * The ports: what the domain needs from the outside world. Adapters in `lambda/adapters/`
 * implement them; tests give fakes.
 */
import type { ChainLink, Outcome, OutcomeMessage } from '../../contracts/outcome';
import type { Credential, FailedRunAlert, Flow, FlowRun, RetriggeredRun, RunScope } from './model';

/** Per-call options: the moment (epoch ms) by which the call must have given up, retries included. */
export interface CallOptions {
  readonly deadline?: number;
}

/** Query for {@link FlowServicePort.listRuns}. All given filters apply together. */
export interface ListRunsQuery {
  readonly flowId?: string;
  /** Only runs whose `metrics.statusSummary.status` is this, e.g. `failed`. */
  readonly status?: string;
  /** Only runs created at or after this moment (epoch ms). */
  readonly createdAfter?: number;
  /** Stop after this many runs (the adapter follows pages until then). */
  readonly maxRuns?: number;
}

/**
 * Flow Service, as the retrier uses it. Every method throws {@link FlowServiceError} on failure;
 * the adapter adds the token, API key, org and sandbox headers, retries what is safe to retry and
 * refreshes the token once on 401.
 */
export interface FlowServicePort {
  /** `GET /runs/{id}`. */
  getRun(scope: RunScope, runId: string, options?: CallOptions): Promise<FlowRun>;
  /** `GET /flows/{id}`. */
  getFlow(scope: RunScope, flowId: string, options?: CallOptions): Promise<Flow>;
  /**
   * `POST /runs/{id}/action?op=re-trigger`. 429/503 are retried inside the deadline; a POST that
   * may have taken effect is never repeated: it throws with `ambiguous: true`.
   */
  retrigger(scope: RunScope, runId: string, options?: CallOptions): Promise<RetriggeredRun>;
  /** `GET /runs?property=...`, following `_links.next` until done or `maxRuns`. Newest first. */
  listRuns(scope: RunScope, query: ListRunsQuery, options?: CallOptions): Promise<FlowRun[]>;
}

/** The OAuth Server-to-Server credentials the stack holds, one per IMS org. */
export interface CredentialsPort {
  /** The credential for an org, or null when the stack holds none for it. */
  forOrg(orgId: string): Promise<Credential | null>;
  /** Every credential (the sweep walks them). */
  all(): Promise<readonly Credential[]>;
}

/** IMS access tokens, cached per client. */
export interface TokenPort {
  /** A valid access token for the credential; minted only when the cached one is near expiry. */
  getToken(credential: Credential, options?: CallOptions): Promise<string>;
  /** Forgets the cached token (after Flow Service answered 401). */
  invalidate(credential: Credential): void;
}

/** Publishes outcome messages. */
export interface OutcomePort {
  publish(message: OutcomeMessage): Promise<void>;
}

/** The lineage of a run the tool created: attempt n of a root run. */
export interface Lineage {
  readonly rootRunId: string;
  /** Attempt number of this run: 0 for a root, n for the run created by re-trigger n. */
  readonly attempt: number;
  readonly parentRunId: string;
  /** The ancestors, oldest first, not including this run. */
  readonly chain: readonly ChainLink[];
}

/** What the ledger knows of one run. */
export interface RunRecord {
  readonly runId: string;
  /**
   * `claimed`: an invocation works on it (lease until `leaseUntil`), or released one (lease 0);
   * `scheduled`: a re-trigger waits on the delay queue; `done`: an outcome was reached;
   * `lineage`: created by the tool, no alert about it yet.
   */
  readonly state: 'claimed' | 'scheduled' | 'done' | 'lineage';
  readonly flowId?: string;
  readonly sandboxName?: string;
  readonly imsOrgId?: string;
  readonly lineage?: Lineage;
  readonly errorCodes?: readonly string[];
  /** The re-trigger number this run's failure asked for. */
  readonly attempt?: number;
  readonly outcome?: Outcome;
  readonly reason?: string;
  readonly childRunId?: string;
  /** False while a recorded re-trigger still waits for its announcement. */
  readonly announced?: boolean;
  /** Epoch ms. */
  readonly dueAt?: number;
  readonly claimedAt?: number;
  readonly leaseUntil?: number;
  readonly updatedAt?: number;
}

/** A claim held by this invocation. */
export interface Claim {
  readonly runId: string;
  /** Unique per claim; every later write is conditional on it. */
  readonly token: string;
  readonly claimedAt: number;
  /** Present when the run was created by the tool. */
  readonly lineage?: Lineage;
  /**
   * Present when this claim took over one that a crashed or failed invocation left. `mayHavePosted`
   * says the earlier one may have re-triggered already: list the flow's runs before posting.
   */
  readonly takeover?: { readonly previousClaimedAt: number; readonly mayHavePosted: boolean };
}

/** The answer to a claim attempt. */
export type ClaimResult =
  | { readonly claimed: true; readonly claim: Claim }
  | { readonly claimed: false; readonly existing: RunRecord };

/** Facts stored with a claim, for `status` and for the chain. */
export interface ClaimFacts {
  readonly flowId: string;
  readonly sandboxName: string;
  readonly imsOrgId: string;
  readonly errorCodes: readonly string[];
}

/** An operator's pause of one dataflow. */
export interface FlowPause {
  readonly flowId: string;
  readonly pausedAt: number;
  readonly by?: string;
  readonly reason?: string;
}

/**
 * The retry ledger: exactly-once claims, lineage and pauses. All writes are conditional; a lost
 * race shows as `claimed: false`, never as a second claim.
 */
export interface LedgerPort {
  /**
   * Claims a run for a fresh alert. Fails (duplicate) while another claim is live or after an
   * outcome; with `reclaimFinished` (an operator's manual retry) a run that ended without a
   * re-trigger may be claimed again.
   */
  claimRun(
    runId: string,
    facts: ClaimFacts,
    lease: { now: number; leaseMs: number },
    options?: { reclaimFinished?: boolean },
  ): Promise<ClaimResult>;
  /** Claims a scheduled run when its delay message fires; only the message holding `scheduleToken` wins. */
  claimScheduled(
    runId: string,
    scheduleToken: string,
    lease: { now: number; leaseMs: number },
  ): Promise<ClaimResult>;
  /** The claim waits on the delay queue until `dueAt`; the delay message carries the claim's token as `scheduleToken`. */
  markScheduled(claim: Claim, details: { dueAt: number; attempt: number; now: number }): Promise<void>;
  /**
   * Records the re-trigger: this run is done (`retriggered`, child, not yet announced) and the child
   * is attempt n of the root. Written before the announcement so nothing can re-trigger it again.
   */
  recordRetrigger(
    claim: Claim,
    details: { newRunId: string; attempt: number; facts: ClaimFacts; now: number },
  ): Promise<void>;
  /** Records a terminal outcome other than `retriggered` (after it was announced) and ends the lease. */
  finish(
    claim: Claim,
    details: { outcome: Outcome; reason: string; attempt: number; now: number },
  ): Promise<void>;
  /**
   * After {@link LedgerPort.recordRetrigger}: notes whether the announcement went out, and ends the
   * lease so a redelivery may announce what this invocation could not.
   */
  settleAnnouncement(claim: Claim, announced: boolean): Promise<void>;
  /** Marks a recorded re-trigger as announced by a later delivery. */
  markReannounced(runId: string): Promise<void>;
  /** Gives the claim back so a retry may take it at once; `mayHavePosted` makes the next one list first. */
  release(claim: Claim, details: { mayHavePosted: boolean }): Promise<void>;
  /** What the ledger knows of a run, or null. */
  getRun(runId: string): Promise<RunRecord | null>;
  /** The pause of a dataflow, or null when it is not paused. */
  getFlowPause(flowId: string): Promise<FlowPause | null>;
  /** Pauses (or with null, resumes) a dataflow. */
  setFlowPause(flowId: string, pause: Omit<FlowPause, 'flowId'> | null): Promise<void>;
}

/** A re-trigger waiting on the delay queue. The message body of the delay queue. */
export interface DelayedRetry {
  readonly kind: 'aep-autoretry/delayed-retry';
  readonly version: 1;
  readonly alert: FailedRunAlert;
  readonly attempt: number;
  /** Epoch ms when the re-trigger is due. */
  readonly dueAt: number;
  /** The claim token the ledger holds as `scheduleToken`. */
  readonly scheduleToken: string;
}

/** The SQS delay queue that brings scheduled re-triggers back to the function. */
export interface DelayQueuePort {
  /** Sends the message with a delay of at most 900 s (SQS's cap); longer waits hop again. */
  send(message: DelayedRetry, delaySeconds: number): Promise<void>;
}

/** Time and randomness, injected so tests are deterministic. */
export interface Clock {
  now(): number;
}
