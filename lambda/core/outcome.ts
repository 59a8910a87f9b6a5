/**
 * Building outcome messages and their subject lines. Pure.
 */
import type { ChainLink, Outcome, OutcomeMessage } from '../../contracts/outcome';
import type { AlertIds } from './model';
import type { Lineage } from './ports';

/** What an outcome message is built from. */
export interface OutcomeInput {
  readonly outcome: Outcome;
  readonly ids: AlertIds;
  readonly attempt: number | null;
  readonly maxAttempts: number;
  readonly reason: string;
  readonly now: number;
  readonly newRunId?: string;
  readonly lineage?: Lineage;
  readonly dueAt?: number;
}

/** The lineage of a run as links, oldest first, ending with the run itself. */
export function chainOf(
  runId: string,
  errorCodes: readonly string[],
  lineage: Lineage | undefined,
): ChainLink[] {
  const own: ChainLink = { runId, attempt: lineage?.attempt ?? 0, errorCodes };
  return [...(lineage?.chain ?? []), own];
}

/** Builds the JSON body of an outcome message (the design's contract). */
export function buildOutcome(input: OutcomeInput): OutcomeMessage {
  const { ids, lineage } = input;
  const errorCodes = ids.errorCodes ?? [];
  const withChain = lineage !== undefined || input.outcome === 'exhausted';
  return {
    outcome: input.outcome,
    runId: ids.runId ?? null,
    flowId: ids.flowId ?? null,
    ...(ids.flowName ? { flowName: ids.flowName } : {}),
    sandboxName: ids.sandboxName ?? null,
    imsOrgId: ids.imsOrgId ?? null,
    attempt: input.attempt,
    maxAttempts: input.maxAttempts,
    reason: input.reason,
    errorCodes,
    ...(input.newRunId ? { newRunId: input.newRunId } : {}),
    ...(lineage ? { rootRunId: lineage.rootRunId } : {}),
    ...(withChain && ids.runId ? { chain: chainOf(ids.runId, errorCodes, lineage) } : {}),
    ...(input.dueAt !== undefined ? { dueAt: new Date(input.dueAt).toISOString() } : {}),
    at: new Date(input.now).toISOString(),
  };
}

const SUBJECT_LIMIT = 100;

function shortId(id: string | null): string {
  return id ? id.slice(0, 8) : 'unknown';
}

/**
 * A human subject line for email subscribers: ASCII, one line, at most 100 characters (SNS's
 * limits for `Subject`).
 */
export function outcomeSubject(message: OutcomeMessage): string {
  const run = `run ${shortId(message.runId)}`;
  const attempt = message.attempt === null ? '' : ` (attempt ${message.attempt}/${message.maxAttempts})`;
  const texts: Record<Outcome, string> = {
    retriggered: `${run} re-triggered as ${shortId(message.newRunId ?? null)}${attempt}`,
    scheduled: `${run} re-trigger scheduled for ${message.dueAt?.slice(11, 16) ?? '?'} UTC${attempt}`,
    duplicate: `${run} duplicate alert`,
    ignored: `${run} ignored`,
    not_retryable: `${run} not retryable${message.errorCodes[0] ? `: ${message.errorCodes[0]}` : ''}`,
    exhausted: `${run} retries exhausted after ${message.maxAttempts} attempts`,
    rejected: `alert rejected`,
    failed: `${run} re-trigger failed${attempt}`,
    dry_run: `[dry run] ${run} would be re-triggered${attempt}`,
  };
  const flow = message.flowName ? ` - ${message.flowName}` : '';
  const subject = `AEP ${texts[message.outcome]}${flow}`
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return subject.length <= SUBJECT_LIMIT ? subject : `${subject.slice(0, SUBJECT_LIMIT - 3)}...`;
}
