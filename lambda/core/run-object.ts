/**
 * Reading Flow Service run objects, which arrive both as alert payloads and as API answers.
 * Lenient about shapes Adobe documents inconsistently (`etag`/`eTag`, codes as numbers). Pure.
 */
import type { FlowRun } from './model';

/** The most error codes kept from one run. */
export const MAX_ERROR_CODES = 50;

/** Identifiers that may go into a URL path: Adobe's run and flow ids are UUIDs. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A plain JSON object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Reads `path` (dot-separated) inside `value`, or undefined. */
export function pick(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    const record = asRecord(current);
    if (!record) return undefined;
    current = record[key];
  }
  return current;
}

function codesOf(list: unknown): string[] {
  return asArray(list)
    .map((entry) => asRecord(entry)?.code)
    .filter((code): code is string | number => typeof code === 'string' || typeof code === 'number')
    .map((code) => String(code).trim())
    .filter((code) => code.length > 0 && code.length <= 100);
}

/**
 * Every error code of a run: the top-level ones (`metrics.statusSummary.errors`) first, then the
 * activities' codes and their nested details, then the record-level `failedInfo`. Unique, at most
 * {@link MAX_ERROR_CODES}.
 */
export function runErrorCodes(run: unknown): string[] {
  const codes = [...codesOf(pick(run, 'metrics.statusSummary.errors'))];
  for (const activity of asArray(asRecord(run)?.activities)) {
    codes.push(...codesOf(pick(activity, 'statusSummary.errors')));
    codes.push(...codesOf(pick(activity, 'statusSummary.extensions.errors')));
  }
  codes.push(...codesOf(pick(run, 'metrics.recordSummary.failedInfo')));
  return [...new Set(codes)].slice(0, MAX_ERROR_CODES);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Reads a run object (from `GET /runs/{id}`, a list page or an alert) into a {@link FlowRun}.
 * Returns undefined when it has no string `id`.
 */
export function readRunObject(value: unknown): FlowRun | undefined {
  const record = asRecord(value);
  const id = optionalString(record?.id);
  if (!record || !id) return undefined;
  const status = pick(record, 'metrics.statusSummary.status');
  return {
    id,
    flowId: optionalString(record.flowId) ?? '',
    status: typeof status === 'string' ? status : 'unknown',
    sandboxName: optionalString(record.sandboxName),
    imsOrgId: optionalString(record.imsOrgId),
    createdAt: optionalNumber(record.createdAt),
    completedAt: optionalNumber(pick(record, 'metrics.durationSummary.completedAtUTC')),
    errorCodes: runErrorCodes(record),
    etag: optionalString(record.etag) ?? optionalString(record.eTag),
    parentFlowRunId: optionalString(record.parentFlowRunId),
  };
}
