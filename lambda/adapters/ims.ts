/**
 * IMS access tokens for OAuth Server-to-Server credentials (`client_credentials` on
 * `/ims/token/v3`), cached per client: Adobe throttles integrations that mint too many tokens.
 */
import ky from 'ky';
import { ImsError } from '../core/errors';
import type { Credential } from '../core/model';
import type { CallOptions, TokenPort } from '../core/ports';
import { asRecord } from '../core/run-object';
import {
  attemptTimeout,
  describeFailure,
  excerpt,
  type FetchFunction,
  type RequestFailure,
  type RetryTiming,
  realSleep,
  redact,
  type Sleep,
  waitForRetry,
} from './http';

/** Options of {@link createTokenProvider}. */
export interface TokenProviderOptions {
  /** The IMS token endpoint, e.g. `https://ims-na1.adobelogin.com/ims/token/v3`. */
  readonly tokenUrl: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Timeout of one attempt, cut to the time left before the call's deadline. @default 5000 */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** How long before expiry a token is replaced. @default 10 % of its lifetime, at most 1 h */
  readonly refreshMarginMs?: number;
  /** Attempts per mint, the first included, on 429, 5xx, timeouts and network errors. @default 3 */
  readonly maxTries?: number;
  /** Ceiling of the first backoff; doubles per retry, full jitter. @default 500 */
  readonly backoffBaseMs?: number;
  /** The longest wait a `Retry-After` header may impose. @default 20000 */
  readonly maxRetryAfterMs?: number;
  /** @default a real timer */
  readonly sleep?: Sleep;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Above this, `expires_in` cannot be seconds: the deprecated JWT exchange answered milliseconds. */
const MAX_EXPIRES_IN_SECONDS = 10 * 24 * 3600;
/** Used when IMS gives no lifetime; a 401 from Flow Service refreshes earlier if needed. */
const DEFAULT_LIFETIME_MS = 3600_000;
const MAX_REFRESH_MARGIN_MS = 3600_000;
const FIX_HINT = 'check clientId, clientSecret and scopes in the credential secret';

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
}

/**
 * Creates the IMS {@link TokenPort}. Tokens are cached per `clientId` until shortly before they
 * expire; concurrent callers for the same client share one request. Throws {@link ImsError}:
 * kind `configuration` when IMS refuses the credential (400/401/403) or answers without a token,
 * kind `transient` when 429, 5xx, timeouts or network errors outlast the retries or the deadline.
 * Messages name the client id, never the secret.
 */
export function createTokenProvider(options: TokenProviderOptions): TokenPort {
  const { tokenUrl, timeoutMs = 5000, refreshMarginMs, maxTries = 3 } = options;
  const now = options.now ?? Date.now;
  const timing: RetryTiming = {
    backoffBaseMs: options.backoffBaseMs ?? 500,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 20_000,
    now,
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
  };
  checkTokenUrl(tokenUrl);
  const api = ky.create({ fetch: options.fetch, retry: 0 });
  const cache = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<string>>();

  async function requestOnce(credential: Credential, timeout: number): Promise<string> {
    // The form goes in the body: query parameters end up in access logs.
    const form = new URLSearchParams({
      client_id: credential.clientId,
      client_secret: credential.clientSecret,
      grant_type: 'client_credentials',
      scope: credential.scopes.join(','),
    });
    return api
      .post(tokenUrl, {
        body: form,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        timeout,
      })
      .text();
  }

  function readToken(text: string, credential: Credential, startedAt: number): CachedToken {
    let body: Record<string, unknown> | undefined;
    try {
      body = asRecord(JSON.parse(text));
    } catch {
      body = undefined;
    }
    const token = body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new ImsError(
        `IMS answered 200 without an access_token for client ${credential.clientId}: check that IMS_TOKEN_URL points at the IMS token endpoint (/ims/token/v3)`,
        { kind: 'configuration', status: 200, clientId: credential.clientId },
      );
    }
    const lifetime = lifetimeMs(body?.expires_in);
    const margin = refreshMarginMs ?? Math.min(Math.floor(lifetime / 10), MAX_REFRESH_MARGIN_MS);
    // Measured from the request's start, so network time can only make the token look older.
    return { token, refreshAt: startedAt + lifetime - margin };
  }

  function refusal(credential: Credential, failure: RequestFailure & { type: 'status' }): ImsError {
    const body = asRecord(failure.data);
    const code = typeof body?.error === 'string' ? body.error : undefined;
    const description =
      typeof body?.error_description === 'string'
        ? `: ${excerpt(redact(body.error_description, [credential.clientSecret]), 200)}`
        : '';
    const fix = [400, 401, 403].includes(failure.status)
      ? FIX_HINT
      : 'check IMS_TOKEN_URL (it should end with /ims/token/v3)';
    return new ImsError(
      `IMS refused a token for client ${credential.clientId}: ${failure.status}${code ? ` ${code}` : ''}${description}; ${fix}`,
      { kind: 'configuration', status: failure.status, code, clientId: credential.clientId },
    );
  }

  function gaveUp(credential: Credential, tries: number, failure: RequestFailure | undefined): ImsError {
    const last =
      failure === undefined
        ? 'no time was left before the deadline'
        : failure.type === 'status'
          ? `last answer ${failure.status}`
          : failure.type === 'timeout'
            ? `the last attempt timed out`
            : 'the last attempt lost its connection';
    return new ImsError(
      `IMS gave no token for client ${credential.clientId} after ${tries} ${tries === 1 ? 'try' : 'tries'} (${last}); IMS is busy or unreachable, try again later`,
      {
        kind: 'transient',
        status: failure?.type === 'status' ? failure.status : undefined,
        clientId: credential.clientId,
        cause: failure?.type === 'network' ? failure.cause : undefined,
      },
    );
  }

  async function mint(credential: Credential, deadline: number | undefined): Promise<CachedToken> {
    let failure: RequestFailure | undefined;
    for (let attempt = 1; ; attempt++) {
      const startedAt = now();
      const timeout = attemptTimeout(timeoutMs, deadline, startedAt);
      if (timeout === undefined) throw gaveUp(credential, attempt - 1, failure);
      try {
        return readToken(await requestOnce(credential, timeout), credential, startedAt);
      } catch (error) {
        if (error instanceof ImsError) throw error;
        failure = describeFailure(error, now());
      }
      if (failure.type === 'status' && failure.status !== 429 && failure.status < 500) {
        throw refusal(credential, failure);
      }
      const retryAfter = failure.type === 'status' ? failure.retryAfterMs : undefined;
      if (attempt >= maxTries || !(await waitForRetry(attempt, retryAfter, timing, deadline))) {
        throw gaveUp(credential, attempt, failure);
      }
    }
  }

  return {
    getToken(credential: Credential, callOptions?: CallOptions): Promise<string> {
      const cached = cache.get(credential.clientId);
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      let pending = inflight.get(credential.clientId);
      if (!pending) {
        pending = mint(credential, callOptions?.deadline)
          .then((minted) => {
            cache.set(credential.clientId, minted);
            return minted.token;
          })
          .finally(() => inflight.delete(credential.clientId));
        inflight.set(credential.clientId, pending);
      }
      return pending;
    },
    invalidate(credential: Credential): void {
      cache.delete(credential.clientId);
    },
  };
}

/** Checked at creation, so a typo is reported as such and not retried as a network error. */
function checkTokenUrl(tokenUrl: string): void {
  try {
    new URL(tokenUrl);
  } catch (error) {
    throw new ImsError(
      'The IMS token URL is not an absolute URL; set IMS_TOKEN_URL to e.g. https://ims-na1.adobelogin.com/ims/token/v3',
      { kind: 'configuration', cause: error },
    );
  }
}

/** The token's lifetime in ms from `expires_in`: seconds, or milliseconds when implausibly large. */
function lifetimeMs(expiresIn: unknown): number {
  const value = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return DEFAULT_LIFETIME_MS;
  return value > MAX_EXPIRES_IN_SECONDS ? value : value * 1000;
}
