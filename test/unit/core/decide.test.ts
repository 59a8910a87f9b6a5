import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicyInput,
  resolveRetryPolicy,
} from '../../../contracts/retry-policy';
import { classifyCodes, type Decision, decide, delayFor } from '../../../lambda/core/decide';
import type { FailedRunAlert } from '../../../lambda/core/model';
import type { FlowPause } from '../../../lambda/core/ports';

const alert = (codes: string[], overrides: Partial<FailedRunAlert> = {}): FailedRunAlert => ({
  runId: 'f0b809c5-603d-4d6e-9600-977cb2e277b4',
  flowId: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89',
  sandboxName: 'prod',
  imsOrgId: '4353388057AC8D357F000101@AdobeOrg',
  errorCodes: codes,
  source: 'run',
  ...overrides,
});

interface Case {
  readonly name: string;
  readonly codes: string[];
  readonly attempt?: number;
  readonly policy?: RetryPolicyInput;
  readonly alert?: Partial<FailedRunAlert>;
  readonly pause?: FlowPause;
  readonly expected: Partial<Decision>;
}

const cases: Case[] = [
  {
    name: 'retries a copy failure at once',
    codes: ['CONNECTOR-1001-500', '2200'],
    expected: { action: 'retrigger', delaySeconds: 0 },
  },
  { name: 'retries a bulk-ingest failure', codes: ['CONNECTOR-3001-500'], expected: { action: 'retrigger' } },
  {
    name: 'refuses a parsing failure',
    codes: ['CONNECTOR-2001-500'],
    expected: { action: 'stop', outcome: 'not_retryable' },
  },
  {
    name: 'lets a non-retryable nested code win over a retryable top-level one',
    codes: ['CONNECTOR-1001-500', 'MAPPER-3700-400'],
    expected: { action: 'stop', outcome: 'not_retryable' },
  },
  {
    name: 'refuses "no files" (133)',
    codes: ['CONNECTOR-1001-500', '133'],
    expected: { action: 'stop', outcome: 'not_retryable' },
  },
  {
    name: 'retries unknown codes by default',
    codes: ['SOMETHING-NEW-500'],
    expected: { action: 'retrigger' },
  },
  { name: 'retries a failure without codes by default', codes: [], expected: { action: 'retrigger' } },
  {
    name: 'refuses unknown codes when retryUnknown is false',
    codes: ['SOMETHING-NEW-500'],
    policy: { retryUnknown: false },
    expected: { action: 'stop', outcome: 'not_retryable' },
  },
  {
    name: 'waits 300 s before attempt 2',
    codes: ['2200'],
    attempt: 2,
    policy: { jitterRatio: 0 },
    expected: { delaySeconds: 300 },
  },
  {
    name: 'waits 1800 s before attempt 3',
    codes: ['2200'],
    attempt: 3,
    policy: { jitterRatio: 0 },
    expected: { delaySeconds: 1800 },
  },
  { name: 'allows attempt 3 of 3', codes: ['2200'], attempt: 3, expected: { action: 'retrigger' } },
  {
    name: 'stops past maxAttempts',
    codes: ['2200'],
    attempt: 4,
    expected: { action: 'stop', outcome: 'exhausted' },
  },
  {
    name: 'reports a data error past the budget as not_retryable, the more useful reason',
    codes: ['MAPPER-3700-400'],
    attempt: 9,
    expected: { outcome: 'not_retryable' },
  },
  {
    name: 'ignores a denied sandbox',
    codes: ['2200'],
    policy: { denySandboxes: ['PROD'] },
    expected: { action: 'stop', outcome: 'ignored' },
  },
  {
    name: 'ignores a sandbox outside the allow list',
    codes: ['2200'],
    policy: { allowSandboxes: ['dev'] },
    expected: { action: 'stop', outcome: 'ignored' },
  },
  {
    name: 'acts on an allowed sandbox',
    codes: ['2200'],
    policy: { allowSandboxes: ['prod'] },
    expected: { action: 'retrigger' },
  },
  {
    name: 'ignores a denied flow even when its sandbox is allowed',
    codes: ['2200'],
    policy: { allowSandboxes: ['prod'], denyFlowIds: ['C0CB4B5B-367F-4946-A6CC-F7CCFE005B89'] },
    expected: { action: 'stop', outcome: 'ignored' },
  },
  {
    name: 'ignores a flow outside allowFlowIds',
    codes: ['2200'],
    policy: { allowFlowIds: ['another-flow'] },
    expected: { action: 'stop', outcome: 'ignored' },
  },
  {
    name: 'ignores a paused flow before anything else',
    codes: ['MAPPER-3700-400'],
    pause: { flowId: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89', pausedAt: 1 },
    expected: { action: 'stop', outcome: 'ignored' },
  },
];

describe('decide', () => {
  it.each(cases)('$name', ({ codes, attempt, policy, alert: overrides, pause, expected }) => {
    // Prepare
    const input = {
      alert: alert(codes, overrides),
      attempt: attempt ?? 1,
      policy: resolveRetryPolicy(policy ?? {}),
      pause: pause ?? null,
      random: 0.5,
    };

    // Act
    const decision = decide(input);

    // Assess
    expect(decision).toMatchObject(expected);
    expect(decision.reason.length).toBeGreaterThan(10);
  });

  it('names the pause, who set it and how to resume', () => {
    // Act
    const decision = decide({
      alert: alert(['2200']),
      attempt: 1,
      policy: DEFAULT_RETRY_POLICY,
      pause: { flowId: 'x', pausedAt: 1, by: 'ops@example.com' },
      random: 0,
    });

    // Assess
    expect(decision.reason).toContain('paused by ops@example.com');
    expect(decision.reason).toContain('aep-autoretry resume c0cb4b5b-367f-4946-a6cc-f7ccfe005b89');
  });
});

describe('delayFor', () => {
  it('adds up to jitterRatio of the delay, repeats the last delay, and never jitters zero', () => {
    // Prepare
    const policy = resolveRetryPolicy({ delaysSeconds: [0, 100], jitterRatio: 0.5 });

    // Act
    const delays = [
      delayFor(1, policy, 0.99),
      delayFor(2, policy, 0),
      delayFor(2, policy, 0.99),
      delayFor(7, policy, 0),
    ];

    // Assess
    expect(delays).toEqual([0, 100, 149, 100]);
  });
});

describe('classifyCodes', () => {
  it('matches patterns case-insensitively with * wildcards', () => {
    // Act
    const verdict = classifyCodes(['ingest-1212-400'], DEFAULT_RETRY_POLICY);

    // Assess
    expect(verdict).toEqual({
      retryable: false,
      reason:
        'error code ingest-1212-400 matches nonRetryableCodes (INGEST-*-400): a re-trigger cannot fix it',
    });
  });
});
