/**
 * The retry decision: given a failed run, its place in the lineage and the policy, whether to
 * re-trigger (and after how long) or which outcome to stop with. Pure.
 */
import { codeMatches, type RetryPolicy } from '../../contracts/retry-policy';
import type { FailedRunAlert } from './model';
import type { FlowPause } from './ports';

/** What to do with a failed run. */
export type Decision =
  | { readonly action: 'retrigger'; readonly delaySeconds: number; readonly reason: string }
  | {
      readonly action: 'stop';
      readonly outcome: 'ignored' | 'not_retryable' | 'exhausted';
      readonly reason: string;
    };

/** The facts a decision needs. */
export interface DecisionInput {
  readonly alert: FailedRunAlert;
  /** The re-trigger this failure asks for: 1 for a root run, n+1 after attempt n failed. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  readonly pause: FlowPause | null;
  /** A number in [0, 1), for jitter. */
  readonly random: number;
}

/** How the error codes of a run stand against the policy. */
export interface CodeVerdict {
  readonly retryable: boolean;
  readonly reason: string;
}

function firstMatch(patterns: readonly string[], codes: readonly string[]): [string, string] | undefined {
  for (const code of codes) {
    const pattern = patterns.find((candidate) => codeMatches(candidate, code));
    if (pattern) return [code, pattern];
  }
  return undefined;
}

/**
 * Classifies a run's error codes: a `nonRetryableCodes` match wins, then a `retryableCodes`
 * match, then `retryUnknown` decides for codes in neither list (or no codes at all).
 */
export function classifyCodes(codes: readonly string[], policy: RetryPolicy): CodeVerdict {
  const refusing = firstMatch(policy.nonRetryableCodes, codes);
  if (refusing) {
    return {
      retryable: false,
      reason: `error code ${refusing[0]} matches nonRetryableCodes (${refusing[1]}): a re-trigger cannot fix it`,
    };
  }
  const accepting = firstMatch(policy.retryableCodes, codes);
  if (accepting) return { retryable: true, reason: `error code ${accepting[0]} is retryable` };
  const described =
    codes.length === 0 ? 'the run reports no error code' : `error codes ${codes.join(', ')} are unknown`;
  return policy.retryUnknown
    ? { retryable: true, reason: `${described}; retryUnknown allows a bounded retry` }
    : { retryable: false, reason: `${described} and retryUnknown is false` };
}

/** The delay before re-trigger `attempt`, with jitter: `delaysSeconds[attempt-1]`, the last entry repeating. */
export function delayFor(attempt: number, policy: RetryPolicy, random: number): number {
  const { delaysSeconds } = policy;
  const base = delaysSeconds[Math.min(Math.max(attempt, 1), delaysSeconds.length) - 1] ?? 0;
  return base + Math.floor(base * policy.jitterRatio * random);
}

function listed(list: readonly string[], value: string): boolean {
  const wanted = value.toLowerCase();
  return list.some((entry) => entry.toLowerCase() === wanted);
}

function scopeRefusal(alert: FailedRunAlert, policy: RetryPolicy): string | undefined {
  if (listed(policy.denySandboxes, alert.sandboxName))
    return `sandbox ${alert.sandboxName} is in denySandboxes`;
  if (policy.allowSandboxes.length > 0 && !listed(policy.allowSandboxes, alert.sandboxName)) {
    return `sandbox ${alert.sandboxName} is not in allowSandboxes`;
  }
  if (listed(policy.denyFlowIds, alert.flowId)) return `dataflow ${alert.flowId} is in denyFlowIds`;
  if (policy.allowFlowIds.length > 0 && !listed(policy.allowFlowIds, alert.flowId)) {
    return `dataflow ${alert.flowId} is not in allowFlowIds`;
  }
  return undefined;
}

/**
 * Decides, in this order: an operator's pause and the sandbox/flow lists (`ignored`), the error
 * codes (`not_retryable`), the attempt budget (`exhausted`); otherwise a re-trigger after the
 * policy's delay for this attempt.
 */
export function decide(input: DecisionInput): Decision {
  const { alert, attempt, policy, pause } = input;
  if (pause) {
    const by = pause.by ? ` by ${pause.by}` : '';
    return {
      action: 'stop',
      outcome: 'ignored',
      reason: `dataflow ${alert.flowId} is paused${by}; run "aep-autoretry resume ${alert.flowId}" to resume`,
    };
  }
  const outOfScope = scopeRefusal(alert, policy);
  if (outOfScope) return { action: 'stop', outcome: 'ignored', reason: `${outOfScope} of the retry policy` };
  const verdict = classifyCodes(alert.errorCodes, policy);
  if (!verdict.retryable) return { action: 'stop', outcome: 'not_retryable', reason: verdict.reason };
  if (attempt > policy.maxAttempts) {
    return {
      action: 'stop',
      outcome: 'exhausted',
      reason: `all ${policy.maxAttempts} re-triggers allowed by maxAttempts have failed`,
    };
  }
  const delaySeconds = delayFor(attempt, policy, input.random);
  return {
    action: 'retrigger',
    delaySeconds,
    reason: `${verdict.reason}; re-trigger ${attempt} of ${policy.maxAttempts}`,
  };
}
