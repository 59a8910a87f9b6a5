/**
 * Adobe I/O Events signature public keys, fetched from one fixed origin and cached per path.
 *
 * Adobe serves them from `https://static.adobeioevents.com` and asks that they be cached "not
 * more than 24h" (reference 4.5). Only paths matching `KEY_PATH_PATTERN` are fetched, redirects
 * are refused, answers are size-capped, and each fetch has a short timeout: the webhook must answer
 * I/O Events within 10 seconds.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AutoRetryError } from '../core/errors';
import type { CallOptions } from '../core/ports';
import { isAllowedKeyPath, type PublicKeyPort } from '../core/signature';
import type { FetchFunction } from './http';

/** Where Adobe publishes the keys. */
export const ADOBE_KEY_ORIGIN = 'https://static.adobeioevents.com';

/** Adobe's ceiling on how long a key may be cached. */
export const MAX_KEY_CACHE_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createIoEventsKeys}. */
export interface IoEventsKeysOptions {
  /**
   * The key origin: `https://host[:port]`, or `http://` on a loopback host (tests). No path.
   * @default 'https://static.adobeioevents.com'
   */
  readonly origin?: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Timeout of one fetch attempt, cut to the time left before the call's deadline. @default 2000 */
  readonly timeoutMs?: number;
  /** Further attempts after a network error, timeout, 429 or 5xx. @default 1 */
  readonly retries?: number;
  /** How long a fetched key is used; at most 24 hours. @default 24 hours */
  readonly ttlMs?: number;
  /**
   * How long a path the origin does not have is remembered, so forged requests naming made-up
   * keys do not each cost a fetch. @default 5 minutes
   */
  readonly missingTtlMs?: number;
  /** The most paths remembered (keys and missing ones); the oldest are forgotten first. @default 32 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A PEM public key is well under 1 KiB; a bigger answer is not a key. */
const MAX_KEY_BYTES = 16 * 1024;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

interface Entry {
  readonly key: KeyObject | null;
  readonly until: number;
}

/**
 * Checks a key origin: https, or http on a loopback host; no credentials, path, query or fragment.
 * @returns the origin without a trailing slash
 * @throws AutoRetryError of kind `configuration` naming what is wrong
 */
export function checkKeyOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw keyOriginError('is not an absolute URL');
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw keyOriginError('must use https (http only for localhost, 127.0.0.1 and [::1])');
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw keyOriginError('must be an origin only: scheme, host and port, no path, query or credentials');
  }
  return url.origin;
}

function keyOriginError(problem: string): AutoRetryError {
  return new AutoRetryError(
    `The I/O Events key origin ${problem}; leave IO_EVENTS_KEY_ORIGIN unset for ${ADOBE_KEY_ORIGIN}`,
    { kind: 'configuration' },
  );
}

/**
 * A {@link PublicKeyPort} over HTTP. Concurrent requests for one path share one fetch. A 3xx or 4xx
 * answer means "no such key" (null, remembered briefly); a network error, timeout, 429 or 5xx after the
 * retries throws an {@link AutoRetryError} of kind `transient`.
 */
export function createIoEventsKeys(options: IoEventsKeysOptions = {}): PublicKeyPort {
  const origin = checkKeyOrigin(options.origin ?? ADOBE_KEY_ORIGIN);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 2000;
  const retries = options.retries ?? 1;
  const ttlMs = options.ttlMs ?? MAX_KEY_CACHE_MS;
  if (!(ttlMs > 0 && ttlMs <= MAX_KEY_CACHE_MS)) {
    throw new AutoRetryError('I/O Events keys may be cached for at most 24 hours (Adobe asks so)', {
      kind: 'configuration',
    });
  }
  const missingTtlMs = options.missingTtlMs ?? 5 * 60 * 1000;
  const maxEntries = Math.max(1, options.maxEntries ?? 32);
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<KeyObject | null>>();

  function remember(path: string, key: KeyObject | null): void {
    cache.delete(path);
    cache.set(path, { key, until: now() + (key ? ttlMs : missingTtlMs) });
    // Map keeps insertion order: the first entries are the oldest.
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }

  async function attempt(url: string, deadline: number | undefined): Promise<KeyObject | null | 'retry'> {
    const budget = deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - now());
    if (budget <= 0) return 'retry';
    let response: Response;
    try {
      response = await fetchFn(url, {
        method: 'GET',
        // A redirect could lead anywhere: it is not followed, and not a key.
        redirect: 'manual',
        signal: AbortSignal.timeout(budget),
        headers: { accept: 'application/x-pem-file, text/plain, */*' },
      });
    } catch {
      return 'retry';
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      return 'retry';
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return null;
    }
    const pem = await readCapped(response);
    if (pem === undefined) return null;
    try {
      return createPublicKey({ key: pem, format: 'pem', type: 'spki' });
    } catch {
      // Not a PEM public key: as good as no key.
      return null;
    }
  }

  async function fetchKey(path: string, deadline: number | undefined): Promise<KeyObject | null> {
    const url = `${origin}${path}`;
    for (let tried = 0; tried <= retries; tried++) {
      const result = await attempt(url, deadline);
      if (result !== 'retry') {
        remember(path, result);
        return result;
      }
      if (deadline !== undefined && now() >= deadline) break;
    }
    throw new AutoRetryError(`I/O Events public key ${path} could not be fetched from ${origin} in time`, {
      kind: 'transient',
    });
  }

  return {
    async get(path: string, callOptions: CallOptions = {}): Promise<KeyObject | null> {
      // The core checks paths too; checking here keeps the adapter safe on its own.
      if (!isAllowedKeyPath(path)) return null;
      const cached = cache.get(path);
      if (cached && cached.until > now()) return cached.key;
      if (cached) cache.delete(path);
      let pending = inflight.get(path);
      if (!pending) {
        pending = fetchKey(path, callOptions.deadline).finally(() => inflight.delete(path));
        inflight.set(path, pending);
      }
      return pending;
    },
  };
}

/** The body as text, or undefined when it is larger than a key can be. */
async function readCapped(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_KEY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_KEY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
