/**
 * The retry policy contract, shared by the construct (validated at synth time) and the retrier
 * (validated at cold start from `RETRY_POLICY`). Pure: no I/O.
 */
import * as v from 'valibot';

/** The retry policy, as data. See the README's "Retry policy" table. */
export interface RetryPolicy {
  /** Re-triggers per root run, not counting the original run. Past it: `exhausted`. */
  readonly maxAttempts: number;
  /** Delay before re-trigger n is `delaysSeconds[n-1]`; the last entry repeats. */
  readonly delaysSeconds: readonly number[];
  /** Random spread added to each non-zero delay, as a fraction of it (0.1 = up to +10 %). */
  readonly jitterRatio: number;
  /** Run error codes worth a re-trigger. `*` matches any run of characters. */
  readonly retryableCodes: readonly string[];
  /** Run error codes a re-trigger cannot fix. Wins over `retryableCodes`. */
  readonly nonRetryableCodes: readonly string[];
  /** Whether a failure whose codes match neither list (or that has none) is re-triggered. */
  readonly retryUnknown: boolean;
  /** Sandboxes to act on; empty means every sandbox. */
  readonly allowSandboxes: readonly string[];
  /** Sandboxes never acted on. Wins over `allowSandboxes`. */
  readonly denySandboxes: readonly string[];
  /** Dataflows to act on; empty means every dataflow. */
  readonly allowFlowIds: readonly string[];
  /** Dataflows never acted on. Wins over `allowFlowIds`. */
  readonly denyFlowIds: readonly string[];
}

/**
 * The defaults, from Adobe's documented run error codes (reference, section 5): copy-from-source
 * and platform-side failures are retried; parsing, mapping and data failures, and "no files"
 * (a retry only re-reads the original run's time window), are not; unknown codes are retried
 * within the same budget.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  delaysSeconds: [0, 300, 1800],
  jitterRatio: 0.1,
  retryableCodes: ['CONNECTOR-1001-500', 'CONNECTOR-3001-500', '2200'],
  nonRetryableCodes: ['CONNECTOR-2001-500', 'MAPPER-*', 'INGEST-*-400', '133'],
  retryUnknown: true,
  allowSandboxes: [],
  denySandboxes: [],
  allowFlowIds: [],
  denyFlowIds: [],
};

/** The most re-triggers a policy may allow for one root run. */
export const MAX_ATTEMPTS_LIMIT = 10;
/** The longest single delay, in seconds (7 days: the I/O Events journal keeps events that long). */
export const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const CODE_PATTERN = /^[A-Za-z0-9_.*-]{1,100}$/;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,256}$/;

const codeList = v.pipe(
  v.array(
    v.pipe(
      v.string('must be a string'),
      v.regex(CODE_PATTERN, 'must be an error code such as CONNECTOR-1001-500 (* allowed)'),
    ),
    'must be an array of error codes',
  ),
  v.maxLength(200, 'may hold at most 200 codes'),
);

const nameList = (what: string) =>
  v.pipe(
    v.array(
      v.pipe(v.string('must be a string'), v.regex(NAME_PATTERN, `must be ${what}`)),
      `must be an array of ${what}s`,
    ),
    v.maxLength(1000, 'may hold at most 1000 entries'),
  );

const PolicySchema = v.strictObject({
  maxAttempts: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.integer('must be a whole number'),
      v.minValue(1, `must be from 1 to ${MAX_ATTEMPTS_LIMIT}`),
      v.maxValue(MAX_ATTEMPTS_LIMIT, `must be from 1 to ${MAX_ATTEMPTS_LIMIT}`),
    ),
  ),
  delaysSeconds: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.number('must be a number of seconds'),
          v.integer('must be whole seconds'),
          v.minValue(0, 'must not be negative'),
          v.maxValue(MAX_DELAY_SECONDS, `must be at most ${MAX_DELAY_SECONDS} (7 days)`),
        ),
        'must be an array of seconds, e.g. [0, 300, 1800]',
      ),
      v.minLength(1, 'must hold at least one delay'),
      v.maxLength(MAX_ATTEMPTS_LIMIT, `may hold at most ${MAX_ATTEMPTS_LIMIT} delays`),
    ),
  ),
  jitterRatio: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.minValue(0, 'must be from 0 to 1'),
      v.maxValue(1, 'must be from 0 to 1'),
    ),
  ),
  retryableCodes: v.optional(codeList),
  nonRetryableCodes: v.optional(codeList),
  retryUnknown: v.optional(v.boolean('must be true or false')),
  allowSandboxes: v.optional(nameList('a sandbox name such as prod')),
  denySandboxes: v.optional(nameList('a sandbox name such as prod')),
  allowFlowIds: v.optional(nameList('a dataflow id')),
  denyFlowIds: v.optional(nameList('a dataflow id')),
});

/** Any subset of {@link RetryPolicy}; what is left out takes its default. */
export type RetryPolicyInput = Partial<RetryPolicy>;

/** A policy that does not validate. `problems` names each bad field and what it should be. */
export class RetryPolicyError extends Error {
  override readonly name = 'RetryPolicyError';
  constructor(
    readonly problems: readonly string[],
    source: string,
  ) {
    super(`${source} is invalid: ${problems.join('; ')}`);
  }
}

const KNOWN_FIELDS = Object.keys(DEFAULT_RETRY_POLICY);

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = (issue.path ?? [])
    .map((item) => (typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`))
    .join('')
    .replace(/^\./, '');
  if (issue.type === 'strict_object') {
    return `unknown field ${path} (known fields: ${KNOWN_FIELDS.join(', ')})`;
  }
  return `${path} ${issue.message}`;
}

/**
 * Validates a policy (a subset is fine) and fills in the defaults.
 * @param input the parsed JSON or construct props
 * @param source what to call the input in the error, e.g. `RETRY_POLICY` or `retryPolicy`
 * @throws RetryPolicyError naming every bad field
 */
export function resolveRetryPolicy(input: unknown, source = 'retry policy'): RetryPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RetryPolicyError(['it must be a JSON object such as {"maxAttempts":3}'], source);
  }
  const result = v.safeParse(PolicySchema, input, { abortEarly: false });
  if (!result.success) {
    throw new RetryPolicyError([...new Set(result.issues.map(describeIssue))], source);
  }
  const given = Object.fromEntries(Object.entries(result.output).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_RETRY_POLICY, ...given };
}

/**
 * Parses `RETRY_POLICY` as the retrier receives it. An empty or missing value means the defaults.
 * @throws RetryPolicyError when the text is not JSON or a field is bad
 */
export function parseRetryPolicy(text: string | undefined, source = 'RETRY_POLICY'): RetryPolicy {
  if (text === undefined || text.trim() === '') return DEFAULT_RETRY_POLICY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RetryPolicyError(['it is not valid JSON'], source);
  }
  return resolveRetryPolicy(parsed, source);
}

/** True when `code` matches `pattern`, where `*` stands for any run of characters. Case-insensitive. */
export function codeMatches(pattern: string, code: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(code);
}
