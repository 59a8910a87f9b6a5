/**
 * The Flow Service client: runs, flows and the re-trigger action, over `ky`. It adds Adobe's
 * headers, refreshes the token once on 401, retries what is safe to retry and never repeats a
 * re-trigger that may have taken effect.
 */
import ky from 'ky';
import { AutoRetryError, FlowServiceError, REFUSAL_CODES } from '../core/errors';
import type { Credential, Flow, FlowRun, RetriggeredRun, RunScope } from '../core/model';
import type { CallOptions, CredentialsPort, FlowServicePort, ListRunsQuery, TokenPort } from '../core/ports';
import { asRecord, pick, readRunObject, SAFE_ID } from '../core/run-object';
import {
  attemptTimeout,
  describeFailure,
  excerpt,
  type FetchFunction,
  parseLenient,
  type RequestFailure,
  type RetryTiming,
  realSleep,
  redact,
  type Sleep,
  waitForRetry,
} from './http';

/** Options of {@link createFlowService}. */
export interface FlowServiceOptions {
  /** Flow Service base URL, e.g. `https://platform.adobe.io/data/foundation/flowservice`. */
  readonly baseUrl: string;
  readonly credentials: CredentialsPort;
  readonly tokens: TokenPort;
  /** @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Timeout of one attempt, cut to the time left before the call's deadline. @default 10000 */
  readonly timeoutMs?: number;
  /** Retries of a GET after 429, 500, 502, 503, 504, timeouts and network errors. @default 3 */
  readonly getRetries?: number;
  /** Retries of the re-trigger POST after 429 and 503 (nothing else). @default 3 */
  readonly postRetries?: number;
  /** The longest wait a `Retry-After` header may impose. @default 20000 */
  readonly maxRetryAfterMs?: number;
  /** Ceiling of the first backoff; doubles per retry, full jitter. @default 500 */
  readonly backoffBaseMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a real timer */
  readonly sleep?: Sleep;
  /** @default Math.random */
  readonly random?: () => number;
}

type Method = 'GET' | 'POST';

/** One call, as named in messages. */
interface CallContext {
  readonly method: Method;
  readonly path: string;
  readonly scope: RunScope;
}

const RETRIED_GET_STATUSES = new Set([429, 500, 502, 503, 504]);
/** The only answers that prove a POST was not processed. */
const RETRIED_POST_STATUSES = new Set([429, 503]);
const MAX_PAGES = 100;
const PAGE_SIZE = 100;
const AMBIGUOUS_HINT =
  "the re-trigger may have been created: list the flow's runs for a new one before posting again";

/**
 * Creates the Flow Service {@link FlowServicePort}. Failures of Flow Service throw
 * {@link FlowServiceError}; a failure to get the credential or the token passes through as the
 * `CredentialsError` or `ImsError` it is. Messages never contain the token.
 */
export function createFlowService(options: FlowServiceOptions): FlowServicePort {
  const { credentials, tokens, timeoutMs = 10_000, getRetries = 3, postRetries = 3 } = options;
  const now = options.now ?? Date.now;
  const timing: RetryTiming = {
    backoffBaseMs: options.backoffBaseMs ?? 500,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 20_000,
    now,
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
  };
  const prefix = absoluteUrl(options.baseUrl);
  const api = ky.create({ prefix, fetch: options.fetch, retry: 0 });

  async function call(context: CallContext, callOptions: CallOptions | undefined): Promise<unknown> {
    const { method, scope } = context;
    checkId(context, 'sandbox name', scope.sandboxName);
    const credential = await credentials.forOrg(scope.orgId);
    if (!credential) {
      throw new FlowServiceError(
        `Flow Service ${method} ${context.path} not sent: no credential for org ${scope.orgId}; add one to the credential secret`,
        { kind: 'configuration', method, path: context.path },
      );
    }
    const deadline = callOptions?.deadline;
    const maxRetries = method === 'GET' ? getRetries : postRetries;
    let refreshed = false;
    let retries = 0;
    let failure: RequestFailure | undefined;
    for (;;) {
      const token = await tokens.getToken(credential, { deadline });
      const timeout = attemptTimeout(timeoutMs, deadline, now());
      if (timeout === undefined) throw toError(context, failure, token, { deadlineReached: true });
      const headers = headersFor(context, credential, token);
      try {
        return parseLenient(await api(context.path, { method, headers, timeout }).text());
      } catch (error) {
        failure = describeFailure(error, now());
      }
      if (failure.type === 'status' && failure.status === 401 && !refreshed) {
        // The gateway refused the token before Flow Service saw the request: safe to repeat, POST too.
        tokens.invalidate(credential);
        refreshed = true;
        failure = undefined;
        continue;
      }
      if (!isRetryable(method, failure) || retries >= maxRetries) throw toError(context, failure, token);
      const retryAfter = failure.type === 'status' ? failure.retryAfterMs : undefined;
      if (!(await waitForRetry(retries + 1, retryAfter, timing, deadline))) {
        throw toError(context, failure, token, { deadlineReached: true });
      }
      retries++;
    }
  }

  return {
    async getRun(scope, runId, callOptions): Promise<FlowRun> {
      const context = checkedContext('GET', '/runs', runId, '', scope);
      const data = await call(context, callOptions);
      const run = readRunObject(firstItem(data) ?? data);
      if (!run) throw unexpectedAnswer(context, 'no run object');
      return run;
    },

    async getFlow(scope, flowId, callOptions): Promise<Flow> {
      const context = checkedContext('GET', '/flows', flowId, '', scope);
      const data = await call(context, callOptions);
      const flow = asRecord(firstItem(data) ?? data);
      const id = flow?.id;
      if (!flow || typeof id !== 'string' || id === '') throw unexpectedAnswer(context, 'no flow object');
      return {
        id,
        name: typeof flow.name === 'string' ? flow.name : undefined,
        state: typeof flow.state === 'string' ? flow.state : 'unknown',
      };
    },

    async retrigger(scope, runId, callOptions): Promise<RetriggeredRun> {
      const context = checkedContext('POST', '/runs', runId, '/action?op=re-trigger', scope);
      const data = await call(context, callOptions);
      // The tutorial answers `{id, etag}`; the spec answers the run itself, wrapped in `items`.
      const top = asRecord(data);
      const source = typeof top?.id === 'string' && top.id !== '' ? top : asRecord(firstItem(data));
      const newRunId = source?.id;
      if (!source || typeof newRunId !== 'string' || newRunId === '') {
        throw unexpectedAnswer(context, 'no new run id', true);
      }
      const etag = [source.etag, source.eTag].find((value) => typeof value === 'string' && value !== '');
      return { runId: newRunId, etag: etag as string | undefined };
    },

    async listRuns(scope, query, callOptions): Promise<FlowRun[]> {
      const path = listPath(scope, query);
      const maxRuns = query.maxRuns ?? Number.POSITIVE_INFINITY;
      const runs: FlowRun[] = [];
      const seenTokens = new Set<string>();
      let continuation: string | undefined;
      for (let page = 0; page < MAX_PAGES && runs.length < maxRuns; page++) {
        const pagePath =
          continuation === undefined ? path : `${path}&continuationToken=${encodeURIComponent(continuation)}`;
        const context: CallContext = { method: 'GET', path: pagePath, scope };
        const data = await call(context, callOptions);
        const record = asRecord(data);
        if (!record) throw unexpectedAnswer(context, 'no list of runs');
        for (const item of Array.isArray(record.items) ? record.items : []) {
          const run = readRunObject(item);
          if (run) runs.push(run);
        }
        continuation = nextToken(record);
        // A server that hands back a token it already gave would otherwise page forever.
        if (continuation === undefined || seenTokens.has(continuation)) break;
        seenTokens.add(continuation);
      }
      return runs.slice(0, maxRuns);
    },
  };
}

/**
 * Checked at creation: a bad URL found while posting would read as a lost connection, which for a
 * re-trigger means "ambiguous".
 */
function absoluteUrl(baseUrl: string): string {
  try {
    return new URL(baseUrl).href;
  } catch (error) {
    throw new AutoRetryError(
      'The Flow Service base URL is not an absolute URL; set FLOW_SERVICE_URL to e.g. https://platform.adobe.io/data/foundation/flowservice',
      { kind: 'configuration', cause: error },
    );
  }
}

/** `{prefix}/{id}{suffix}`, after checking that the id may go into a path. */
function checkedContext(
  method: Method,
  prefix: string,
  id: string,
  suffix: string,
  scope: RunScope,
): CallContext {
  const context: CallContext = { method, path: `${prefix}/{id}${suffix}`, scope };
  checkId(context, 'id', id);
  return { method, path: `${prefix}/${id}${suffix}`, scope };
}

function checkId(context: CallContext, what: string, value: string): void {
  if (typeof value === 'string' && SAFE_ID.test(value)) return;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : typeof value;
  throw new FlowServiceError(
    `Flow Service ${context.method} ${context.path} not sent: the ${what} ${shown} is not a valid identifier`,
    { kind: 'permanent', method: context.method, path: context.path },
  );
}

function listPath(scope: RunScope, query: ListRunsQuery): string {
  const parts: string[] = [];
  if (query.flowId !== undefined) {
    checkId({ method: 'GET', path: '/runs', scope }, 'flow id', query.flowId);
    parts.push(`property=flowId==${query.flowId}`);
  }
  if (query.status !== undefined) {
    parts.push(`property=metrics.statusSummary.status==${encodeURIComponent(query.status)}`);
  }
  if (query.createdAfter !== undefined) {
    if (!Number.isFinite(query.createdAfter)) {
      // Dropping the filter instead would widen the list to runs older than the caller asked for.
      throw new FlowServiceError('Flow Service GET /runs not sent: createdAfter is not a number', {
        kind: 'permanent',
        method: 'GET',
        path: '/runs',
      });
    }
    // Flow Service documents `>` and `<` only; one ms less makes it "at or after".
    parts.push(`property=createdAt>${Math.floor(query.createdAfter) - 1}`);
  }
  parts.push('orderby=-createdAt', `limit=${PAGE_SIZE}`);
  return `/runs?${parts.join('&')}`;
}

/** The `continuationToken` of `_links.next.href`; tokens may hold `=`, so no splitting on it. */
function nextToken(page: Record<string, unknown>): string | undefined {
  const href = pick(page, '_links.next.href');
  if (typeof href !== 'string' || href === '') return undefined;
  try {
    const token = new URL(href, 'http://flow-service.invalid/').searchParams.get('continuationToken');
    return token || undefined;
  } catch {
    return undefined;
  }
}

function firstItem(data: unknown): unknown {
  const items = asRecord(data)?.items;
  return Array.isArray(items) ? items[0] : undefined;
}

function headersFor(context: CallContext, credential: Credential, token: string): Headers {
  try {
    const headers = new Headers({
      Authorization: `Bearer ${token}`,
      'x-api-key': credential.clientId,
      'x-gw-ims-org-id': credential.orgId,
      'x-sandbox-name': context.scope.sandboxName,
      Accept: 'application/json',
    });
    // Flow Service wants it on a POST even without a body.
    if (context.method === 'POST') headers.set('Content-Type', 'application/json');
    return headers;
  } catch {
    // Said here rather than left to fetch, where it would read as a lost connection.
    throw new FlowServiceError(
      `Flow Service ${context.method} ${context.path} not sent: the token or the client id holds characters not allowed in a header; check the credential secret`,
      { kind: 'configuration', method: context.method, path: context.path },
    );
  }
}

function isRetryable(method: Method, failure: RequestFailure): boolean {
  if (failure.type !== 'status') return method === 'GET';
  return (method === 'GET' ? RETRIED_GET_STATUSES : RETRIED_POST_STATUSES).has(failure.status);
}

/** Adobe's code: the last segment of a Flow Service `type`, or a gateway `error_code`. */
function errorCode(body: Record<string, unknown> | undefined): string | undefined {
  const type = body?.type;
  if (typeof type === 'string') {
    const last = type.split('/').pop() ?? '';
    if (/^[A-Za-z]+-\d+-\d+$/.test(last)) return last.toUpperCase();
  }
  const gateway = body?.error_code;
  if (typeof gateway === 'string' || typeof gateway === 'number') return String(gateway);
  return undefined;
}

function isRefusal(code: string | undefined): code is string {
  return code !== undefined && Object.hasOwn(REFUSAL_CODES, code);
}

function errorDetail(data: unknown): string | undefined {
  const body = asRecord(data);
  const candidates = body
    ? [pick(body, 'report.detailed-message'), body.errorMessage, body.detail, body.message, body.title]
    : [data];
  const text = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  // An HTML error page says nothing useful in one line.
  return text === undefined || text.trimStart().startsWith('<') ? undefined : text;
}

function statusHint(context: CallContext, status: number, code: string | undefined): string | undefined {
  const { method, scope } = context;
  if (isRefusal(code)) {
    return `Adobe refuses the re-trigger for good: ${REFUSAL_CODES[code]}`;
  }
  if (status === 401) {
    return 'the gateway refused a freshly minted token as well: check that the credential is an OAuth Server-to-Server credential with the Experience Platform API added';
  }
  if (status === 403) {
    return `check that the credential's product profile gives access to sandbox ${scope.sandboxName} of org ${scope.orgId} with the Sources permissions`;
  }
  if (status === 404) return `check the id and that it lives in sandbox ${scope.sandboxName}`;
  if (status === 429 || status >= 500) {
    const busy = 'Flow Service is busy or unavailable; try again later';
    return method === 'POST' && !RETRIED_POST_STATUSES.has(status) ? `${busy}; ${AMBIGUOUS_HINT}` : busy;
  }
  return undefined;
}

function toError(
  context: CallContext,
  failure: RequestFailure | undefined,
  token: string,
  flags: { deadlineReached?: boolean } = {},
): FlowServiceError {
  const { method, path } = context;
  const base = { method, path };
  const late = flags.deadlineReached ? ' (no time left before the deadline for another try)' : '';
  if (failure === undefined) {
    return new FlowServiceError(
      `Flow Service ${method} ${path} not sent: the deadline had passed; try again later`,
      { ...base, kind: 'transient' },
    );
  }
  if (failure.type !== 'status') {
    const what = failure.type === 'timeout' ? 'got no answer in time' : 'lost its connection';
    const ambiguous = method === 'POST';
    return new FlowServiceError(
      `Flow Service ${method} ${path} ${what}${late}; ${ambiguous ? AMBIGUOUS_HINT : 'try again later'}`,
      {
        ...base,
        kind: 'transient',
        ambiguous,
        cause: failure.type === 'network' ? failure.cause : undefined,
      },
    );
  }
  const { status } = failure;
  const code = errorCode(asRecord(failure.data));
  const detail = errorDetail(failure.data);
  const kind = isRefusal(code)
    ? 'refused'
    : status === 401 || status === 403
      ? 'configuration'
      : status === 429 || status >= 500
        ? 'transient'
        : 'permanent';
  const ambiguous = method === 'POST' && status >= 500 && !RETRIED_POST_STATUSES.has(status);
  const hint = statusHint(context, status, code);
  // Trailing dots dropped: the hint follows after a semicolon.
  const said = detail === undefined ? '' : `: ${excerpt(redact(detail, [token])).replace(/[.\s]+$/, '')}`;
  return new FlowServiceError(
    `Flow Service ${method} ${path} answered ${status}${code ? ` ${code}` : ''}${said}${late}${hint ? `; ${hint}` : ''}`,
    { ...base, kind, status, code, ambiguous },
  );
}

function unexpectedAnswer(context: CallContext, missing: string, ambiguous = false): FlowServiceError {
  return new FlowServiceError(
    `Flow Service ${context.method} ${context.path} answered 2xx with ${missing}${ambiguous ? `; ${AMBIGUOUS_HINT}` : ''}`,
    { kind: 'permanent', method: context.method, path: context.path, ambiguous },
  );
}
