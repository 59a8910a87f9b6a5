/**
 * The outcome contract: what the retrier announces on the outcomes topic.
 * Subscribers (email, chat, the user's automation) depend on these names; keep them.
 */

/** Every outcome the retrier can reach for one alert. */
export const OUTCOMES = [
  'retriggered',
  'scheduled',
  'duplicate',
  'ignored',
  'not_retryable',
  'exhausted',
  'rejected',
  'failed',
  'dry_run',
] as const;

/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that close the story of a failed run: each failed run yields exactly one of them. */
export const TERMINAL_OUTCOMES: readonly Outcome[] = [
  'retriggered',
  'ignored',
  'not_retryable',
  'exhausted',
  'rejected',
  'failed',
  'dry_run',
];

/** One run in the lineage of a root run: the root is attempt 0, its n-th re-trigger attempt n. */
export interface ChainLink {
  readonly runId: string;
  readonly attempt: number;
  readonly errorCodes: readonly string[];
}

/**
 * The JSON body of an outcome message. The SNS message attribute `outcome` carries the same
 * outcome so subscribers can filter without parsing the body.
 */
export interface OutcomeMessage {
  readonly outcome: Outcome;
  /** The failed run the alert was about; null when the alert was unreadable. */
  readonly runId: string | null;
  readonly flowId: string | null;
  readonly flowName?: string;
  readonly sandboxName: string | null;
  readonly imsOrgId: string | null;
  /** The re-trigger number this alert asked for: 1 for a root run's failure, n+1 after attempt n failed. */
  readonly attempt: number | null;
  readonly maxAttempts: number;
  /** One human sentence: why this outcome. Never holds a secret or a token. */
  readonly reason: string;
  readonly errorCodes: readonly string[];
  /** The run Flow Service created (`retriggered`). */
  readonly newRunId?: string;
  /** The first run of the lineage, when this run is itself a re-trigger. */
  readonly rootRunId?: string;
  /** The whole lineage, oldest first (`exhausted`, and any outcome past attempt 1). */
  readonly chain?: readonly ChainLink[];
  /** ISO time the scheduled re-trigger is due (`scheduled`, `dry_run` with a delay). */
  readonly dueAt?: string;
  /** ISO time the outcome was decided. */
  readonly at: string;
}
