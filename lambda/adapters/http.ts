/**
 * HTTP helpers shared by the Adobe adapters (IMS and Flow Service): retry timing, deadlines and a
 * reading of what went wrong with a request. No I/O of its own.
 */
import { isHTTPError, isNetworkError, isTimeoutError } from 'ky';

/** A `fetch` compatible with the global one; tests inject theirs. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Waits `ms` milliseconds; tests inject one that returns at once. */
export type Sleep = (ms: number) => Promise<void>;

/** The real {@link Sleep}. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How retries are spaced and bounded. */
export interface RetryTiming {
  /** The first backoff's ceiling; each retry doubles it. */
  readonly backoffBaseMs: number;
  /** The longest wait a `Retry-After` header may impose; longer asks are cut to this. */
  readonly maxRetryAfterMs: number;
  readonly now: () => number;
  readonly sleep: Sleep;
  /** A number in [0, 1), for the jitter. */
  readonly random: () => number;
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP date. Undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (1 for the first): the server's `Retry-After` when it gave
 * one (capped), otherwise exponential backoff with full jitter, so a burst of containers throttled
 * together does not come back together.
 */
export function retryDelay(retry: number, retryAfterMs: number | undefined, timing: RetryTiming): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, timing.maxRetryAfterMs);
  const ceiling = Math.min(timing.backoffBaseMs * 2 ** (retry - 1), timing.maxRetryAfterMs);
  return Math.floor(timing.random() * ceiling);
}

/**
 * Waits before retry number `retry`, unless the wait would reach the deadline: then it returns false
 * at once, because sleeping into a deadline only to give up wastes the Lambda's remaining time.
 */
export async function waitForRetry(
  retry: number,
  retryAfterMs: number | undefined,
  timing: RetryTiming,
  deadline: number | undefined,
): Promise<boolean> {
  const wait = retryDelay(retry, retryAfterMs, timing);
  if (deadline !== undefined && timing.now() + wait >= deadline) return false;
  await timing.sleep(wait);
  return true;
}

/**
 * The timeout of the next attempt: the per-attempt timeout cut to the time left before the
 * deadline. Undefined when no time is left.
 */
export function attemptTimeout(
  timeoutMs: number,
  deadline: number | undefined,
  now: number,
): number | undefined {
  if (deadline === undefined) return timeoutMs;
  const left = Math.floor(deadline - now);
  return left >= 1 ? Math.min(timeoutMs, left) : undefined;
}

/** What became of a request that did not succeed. */
export type RequestFailure =
  /** The server answered with a non-2xx status. `data` is the parsed body (JSON or text), if any. */
  | {
      readonly type: 'status';
      readonly status: number;
      readonly data: unknown;
      readonly retryAfterMs?: number;
    }
  /** No answer within the attempt's timeout. */
  | { readonly type: 'timeout' }
  /**
   * The connection failed or dropped. `cause` is the low-level error, never ky's wrapper, which
   * holds the request and so its Authorization header.
   */
  | { readonly type: 'network'; readonly cause: unknown };

/** Reads an error thrown by a ky request into a {@link RequestFailure}. */
export function describeFailure(error: unknown, now: number): RequestFailure {
  if (isHTTPError(error)) {
    return {
      type: 'status',
      status: error.response.status,
      data: parseLenient(error.data),
      retryAfterMs: parseRetryAfter(error.response.headers.get('retry-after'), now),
    };
  }
  if (isTimeoutError(error)) return { type: 'timeout' };
  if (isNetworkError(error)) return { type: 'network', cause: error.cause };
  // Anything else also means no answer was seen: the safe reading for a POST is "maybe sent".
  return { type: 'network', cause: error };
}

/**
 * A body as JSON when it parses, whatever its content type says (gateways label JSON as text),
 * otherwise the text itself. Empty bodies are undefined.
 */
export function parseLenient(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** A short, single-line excerpt of an untrusted text for an error message. */
export function excerpt(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Replaces every occurrence of the given secrets in `text`, in case a server echoes one. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  return result;
}
