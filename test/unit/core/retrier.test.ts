/**
 * The retrier's steps with in-process fakes: decisions, exactly-once claims, lineage, waits,
 * adoption after interrupted POSTs, and what is kept for Lambda to retry.
 */
import { type RetryPolicyInput, resolveRetryPolicy } from '../../../contracts/retry-policy';
import { CredentialsError, FlowServiceError } from '../../../lambda/core/errors';
import type { Credential } from '../../../lambda/core/model';
import type { DelayedRetry, LedgerPort } from '../../../lambda/core/ports';
import { createRetrier } from '../../../lambda/core/retrier';
import {
  createFakeFlowService,
  createMemoryLedger,
  manualClock,
  recordingDelayQueue,
  recordingOutcomes,
  staticCredentials,
} from '../../support/fakes';
import { loadFixture } from '../../support/fixtures';

const ORG = '4353388057AC8D357F000101@AdobeOrg';
const RUN = 'f0b809c5-603d-4d6e-9600-977cb2e277b4';
const FLOW = 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89';
const credential: Credential = {
  clientId: 'client',
  clientSecret: 'secret-value',
  orgId: ORG,
  scopes: ['openid'],
};

type Alert = Record<string, unknown>;

function setup(options: { policy?: RetryPolicyInput; dryRun?: boolean; ledger?: LedgerPort } = {}) {
  const clock = manualClock();
  const flowService = createFakeFlowService(clock);
  const ledger = createMemoryLedger();
  const outcomes = recordingOutcomes();
  const delayQueue = recordingDelayQueue();
  flowService.runs.set(RUN, {
    id: RUN,
    flowId: FLOW,
    status: 'failed',
    sandboxName: 'dev',
    imsOrgId: ORG,
    createdAt: clock.now() - 3_600_000,
    errorCodes: ['CONNECTOR-1001-500', '2200'],
  });
  flowService.flows.set(FLOW, {
    id: FLOW,
    state: 'enabled',
    name: 'Dataflow - wx_medallia_export_combined.csv',
  });
  const retrier = createRetrier({
    flowService,
    credentials: staticCredentials([credential]),
    ledger: options.ledger ?? ledger,
    outcomes,
    delayQueue,
    policy: resolveRetryPolicy(options.policy ?? {}),
    dryRun: options.dryRun ?? false,
    clock,
    random: () => 0.5,
  });
  const context = () => ({ deadline: clock.now() + 50_000 });
  const alertFor = (runId: string, mutate: (alert: Alert) => void = () => {}) => {
    const alert = loadFixture<Alert>('alerts/failure-run.json');
    alert.id = runId;
    mutate(alert);
    return JSON.stringify(alert);
  };
  /** Marks a run created by a re-trigger as failed, as Flow Service would when it fails again. */
  const failRun = (runId: string, codes: string[] = ['CONNECTOR-1001-500']) => {
    const run = flowService.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    flowService.runs.set(runId, { ...run, status: 'failed', errorCodes: codes });
  };
  return { clock, flowService, ledger, outcomes, delayQueue, retrier, context, alertFor, failRun };
}

describe('a failure alert', () => {
  it('re-triggers the failed run at once and publishes the new run id', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes, ledger } = setup();

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(result).toMatchObject({
      outcome: 'retriggered',
      attempt: 1,
      newRunId: 'run-created-1',
      published: true,
    });
    expect(flowService.calls.map((call) => call.method)).toEqual(['getRun', 'retrigger']);
    expect(flowService.calls[1]?.scope).toEqual({ orgId: ORG, sandboxName: 'dev' });
    expect(outcomes.messages).toHaveLength(1);
    expect(outcomes.messages[0]).toMatchObject({
      outcome: 'retriggered',
      runId: RUN,
      flowId: FLOW,
      sandboxName: 'dev',
      imsOrgId: ORG,
      attempt: 1,
      maxAttempts: 3,
      newRunId: 'run-created-1',
      errorCodes: ['CONNECTOR-1001-500', '2200'],
    });
    expect(await ledger.getRun(RUN)).toMatchObject({
      state: 'done',
      childRunId: 'run-created-1',
      announced: true,
    });
  });

  it('names the sweep as the source of an alert the sweep published', async () => {
    // Prepare
    const { retrier, context, alertFor } = setup();

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), { ...context(), origin: 'sweep' });

    // Assess
    expect(result).toMatchObject({ outcome: 'retriggered', source: 'sweep' });
  });

  it('answers a second delivery as duplicate: no POST, nothing published', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes } = setup();
    await retrier.handleAlert(alertFor(RUN), context());

    // Act
    const second = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(second).toMatchObject({ outcome: 'duplicate', published: false, newRunId: 'run-created-1' });
    expect(flowService.count('retrigger')).toBe(1);
    expect(outcomes.messages).toHaveLength(1);
  });

  it('lets one of 10 concurrent deliveries re-trigger', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes } = setup();

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => retrier.handleAlert(alertFor(RUN), context())),
    );

    // Assess
    expect(results.filter((result) => result.outcome === 'retriggered')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'duplicate')).toHaveLength(9);
    expect(flowService.count('retrigger')).toBe(1);
    expect(outcomes.messages).toHaveLength(1);
  });

  it('rejects an alert of an org the secret holds no credential for, calling no one', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes, ledger } = setup();

    // Act
    const result = await retrier.handleAlert(
      alertFor(RUN, (alert) => {
        alert.imsOrgId = 'FFFF0000FFFF0000FFFF0000@AdobeOrg';
      }),
      context(),
    );

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toContain('FFFF0000FFFF0000FFFF0000@AdobeOrg has no credential');
    expect(flowService.calls).toHaveLength(0);
    expect(await ledger.getRun(RUN)).toBeNull();
    expect(outcomes.messages[0]?.outcome).toBe('rejected');
  });

  it('publishes ignored for a success alert and rejected for a message that is not JSON', async () => {
    // Prepare
    const { retrier, context, outcomes, flowService } = setup();

    // Act
    const ignored = await retrier.handleAlert(
      JSON.stringify(loadFixture('alerts/success-run.json')),
      context(),
    );
    const rejected = await retrier.handleAlert('{not json', context());

    // Assess
    expect(ignored.outcome).toBe('ignored');
    expect(rejected).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('not JSON') });
    expect(outcomes.messages.map((message) => message.outcome)).toEqual(['ignored', 'rejected']);
    expect(flowService.calls).toHaveLength(0);
  });

  it('stops as not_retryable on a data error, without calling Flow Service', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService } = setup();
    const alert = alertFor(RUN, (payload) => {
      (payload.metrics as { statusSummary: { errors: unknown[] } }).statusSummary.errors = [
        { code: 'CONNECTOR-2001-500', message: 'parsing failed' },
      ];
    });

    // Act
    const result = await retrier.handleAlert(alert, context());

    // Assess
    expect(result.outcome).toBe('not_retryable');
    expect(result.reason).toContain('CONNECTOR-2001-500');
    expect(flowService.calls).toHaveLength(0);
  });

  it('stops as ignored when the run is no longer failed', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService } = setup();
    const run = flowService.runs.get(RUN);
    if (run) flowService.runs.set(RUN, { ...run, status: 'success' });

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('is success now') });
    expect(flowService.count('retrigger')).toBe(0);
  });

  it('stops as ignored for a paused flow and a denied sandbox', async () => {
    // Prepare
    const paused = setup();
    await paused.ledger.setFlowPause(FLOW, { pausedAt: 1, by: 'ops@example.com' });
    const denied = setup({ policy: { denySandboxes: ['dev'] } });

    // Act
    const pausedResult = await paused.retrier.handleAlert(paused.alertFor(RUN), paused.context());
    const deniedResult = await denied.retrier.handleAlert(denied.alertFor(RUN), denied.context());

    // Assess
    expect(pausedResult).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('paused by ops@example.com'),
    });
    expect(deniedResult).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('denySandboxes'),
    });
    expect(paused.flowService.calls.length + denied.flowService.calls.length).toBe(0);
  });

  it('decides and publishes dry_run without re-triggering', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, ledger } = setup({ dryRun: true });

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(result).toMatchObject({
      outcome: 'dry_run',
      reason: expect.stringContaining('would re-trigger now'),
    });
    expect(flowService.count('retrigger')).toBe(0);
    expect((await ledger.getRun(RUN))?.outcome).toBe('dry_run');
  });
});

describe('errors', () => {
  it('turns a refused re-trigger (FLOW-1388-400) into not_retryable', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, ledger } = setup();
    flowService.failNext(
      'retrigger',
      new FlowServiceError('Flow Service POST answered 400 FLOW-1388-400', {
        kind: 'refused',
        method: 'POST',
        path: `/runs/${RUN}/action?op=re-trigger`,
        status: 400,
        code: 'FLOW-1388-400',
      }),
    );

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(result.outcome).toBe('not_retryable');
    expect(result.reason).toContain('FLOW-1388-400');
    expect(result.reason).toContain('not enabled');
    expect((await ledger.getRun(RUN))?.state).toBe('done');
  });

  it('publishes failed for a permanent error such as a run Flow Service does not know', async () => {
    // Prepare
    const { retrier, context, alertFor, outcomes } = setup();

    // Act
    const result = await retrier.handleAlert(alertFor('0a0a0a0a-unknown-run'), context());

    // Assess
    expect(result.outcome).toBe('failed');
    expect(result.retry).toBeUndefined();
    expect(outcomes.messages[0]).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('404') });
  });

  it('keeps the alert on a transient error and gives the claim back for the retry', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes } = setup();
    flowService.failNext(
      'getRun',
      new FlowServiceError('Flow Service GET answered 503', {
        kind: 'transient',
        method: 'GET',
        path: '/runs',
        status: 503,
      }),
    );

    // Act
    const first = await retrier.handleAlert(alertFor(RUN), context());
    const retry = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(first).toMatchObject({ outcome: 'failed', published: false });
    expect(first.retry?.kind).toBe('transient');
    expect(retry.outcome).toBe('retriggered');
    expect(outcomes.messages.map((message) => message.outcome)).toEqual(['retriggered']);
  });

  it('keeps the alert when the credential secret is malformed, claiming nothing', async () => {
    // Prepare
    const clock = manualClock();
    const ledger = createMemoryLedger();
    const retrier = createRetrier({
      flowService: createFakeFlowService(clock),
      credentials: {
        forOrg: async () => {
          throw new CredentialsError('secret entry 0 has no clientSecret', { kind: 'configuration' });
        },
        all: async () => [],
      },
      ledger,
      outcomes: recordingOutcomes(),
      delayQueue: recordingDelayQueue(),
      policy: resolveRetryPolicy({}),
      dryRun: false,
      clock,
      random: () => 0,
    });

    // Act
    const result = await retrier.handleAlert(JSON.stringify(loadFixture('alerts/failure-run.json')), {
      deadline: clock.now() + 50_000,
    });

    // Assess
    expect(result.retry?.kind).toBe('configuration');
    expect(await ledger.getRun(RUN)).toBeNull();
  });
});

describe('interrupted re-triggers', () => {
  const ambiguous = () =>
    new FlowServiceError('Flow Service POST timed out; it may have taken effect', {
      kind: 'transient',
      method: 'POST',
      path: `/runs/${RUN}/action?op=re-trigger`,
      ambiguous: true,
    });

  it('adopts the run a timed-out POST created instead of posting again', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService } = setup();
    flowService.failNext('retrigger', ambiguous(), true);

    // Act
    const result = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(result).toMatchObject({ outcome: 'retriggered', newRunId: 'run-created-1' });
    expect(result.reason).toContain('adopted');
    expect(flowService.count('retrigger')).toBe(1);
    expect(flowService.count('listRuns')).toBe(1);
  });

  it('keeps the alert when a timed-out POST left no run, and the retry lists before it posts', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService } = setup();
    flowService.failNext('retrigger', ambiguous(), false);

    // Act
    const first = await retrier.handleAlert(alertFor(RUN), context());
    const retry = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(first.retry?.message).toContain('may have taken effect');
    expect(retry).toMatchObject({ outcome: 'retriggered', newRunId: 'run-created-1' });
    expect(flowService.calls.map((call) => call.method)).toEqual([
      'getRun',
      'retrigger',
      'listRuns',
      'getRun',
      'listRuns',
      'retrigger',
    ]);
  });

  it('adopts the run of an invocation that crashed between POST and record, once its lease ran out', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, ledger, clock } = setup();
    const facts = { flowId: FLOW, sandboxName: 'dev', imsOrgId: ORG, errorCodes: [] };
    await ledger.claimRun(RUN, facts, { now: clock.now(), leaseMs: 60_000 });
    clock.advance(1000);
    await flowService.retrigger({ orgId: ORG, sandboxName: 'dev' }, RUN);
    const during = await retrier.handleAlert(alertFor(RUN), context());
    clock.advance(120_000);

    // Act
    const after = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(during.outcome).toBe('duplicate');
    expect(after).toMatchObject({ outcome: 'retriggered', newRunId: 'run-created-1' });
    expect(flowService.count('retrigger')).toBe(1);
  });

  it('announces a recorded re-trigger whose announcement failed on the next delivery, without posting again', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, outcomes } = setup();
    outcomes.failNext();
    const first = await retrier.handleAlert(alertFor(RUN), context());

    // Act
    const retry = await retrier.handleAlert(alertFor(RUN), context());
    const third = await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    expect(first.retry).toBeDefined();
    expect(retry).toMatchObject({ outcome: 'retriggered', newRunId: 'run-created-1', published: true });
    expect(retry.reason).toContain('announced late');
    expect(third.outcome).toBe('duplicate');
    expect(flowService.count('retrigger')).toBe(1);
    expect(outcomes.messages).toHaveLength(1);
  });
});

describe('lineage, waits and budget', () => {
  it('schedules attempt 2 after the policy delay, hops while not due, then re-triggers', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, delayQueue, clock, failRun, outcomes } = setup({
      policy: { delaysSeconds: [0, 1200], jitterRatio: 0 },
    });
    await retrier.handleAlert(alertFor(RUN), context());
    failRun('run-created-1');

    // Act
    const scheduled = await retrier.handleAlert(alertFor('run-created-1'), context());
    const firstHop = delayQueue.sent[0];
    clock.advance(900_000);
    const hop = await retrier.handleDelayed(JSON.stringify(firstHop?.message), context());
    clock.advance(300_000);
    const fired = await retrier.handleDelayed(JSON.stringify(delayQueue.sent[1]?.message), context());
    const again = await retrier.handleDelayed(JSON.stringify(delayQueue.sent[1]?.message), context());

    // Assess
    expect(scheduled).toMatchObject({ outcome: 'scheduled', attempt: 2 });
    expect(firstHop?.delaySeconds).toBe(900);
    expect(hop).toMatchObject({ outcome: 'scheduled', published: false });
    expect(delayQueue.sent[1]?.delaySeconds).toBe(300);
    expect(fired).toMatchObject({ outcome: 'retriggered', attempt: 2, newRunId: 'run-created-2' });
    expect(again.outcome).toBe('duplicate');
    expect(flowService.count('retrigger')).toBe(2);
    expect(outcomes.messages.map((message) => [message.outcome, message.attempt])).toEqual([
      ['retriggered', 1],
      ['scheduled', 2],
      ['retriggered', 2],
    ]);
    expect(outcomes.messages[2]?.rootRunId).toBe(RUN);
  });

  it('re-checks the flow before firing a scheduled re-trigger', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService, delayQueue, clock } = setup({
      policy: { delaysSeconds: [60], jitterRatio: 0 },
    });
    await retrier.handleAlert(alertFor(RUN), context());
    flowService.flows.set(FLOW, { id: FLOW, state: 'disabled' });
    clock.advance(60_000);

    // Act
    const fired = await retrier.handleDelayed(JSON.stringify(delayQueue.sent[0]?.message), context());

    // Assess
    expect(fired).toMatchObject({ outcome: 'not_retryable', reason: expect.stringContaining('disabled') });
    expect(flowService.count('retrigger')).toBe(0);
  });

  it('publishes exhausted once, with the whole chain, after maxAttempts re-triggers failed', async () => {
    // Prepare
    const { retrier, context, alertFor, failRun, outcomes, flowService } = setup({
      policy: { maxAttempts: 2, delaysSeconds: [0] },
    });
    await retrier.handleAlert(alertFor(RUN), context());
    failRun('run-created-1', ['CONNECTOR-3001-500']);
    await retrier.handleAlert(alertFor('run-created-1'), context());
    failRun('run-created-2', ['CONNECTOR-1001-500']);

    // Act
    const exhausted = await retrier.handleAlert(alertFor('run-created-2'), context());
    const duplicate = await retrier.handleAlert(alertFor('run-created-2'), context());

    // Assess
    expect(exhausted).toMatchObject({ outcome: 'exhausted', attempt: 3 });
    expect(duplicate.outcome).toBe('duplicate');
    expect(flowService.count('retrigger')).toBe(2);
    const message = outcomes.messages.at(-1);
    expect(message?.outcome).toBe('exhausted');
    expect(message?.rootRunId).toBe(RUN);
    expect(message?.chain?.map((link) => [link.runId, link.attempt])).toEqual([
      [RUN, 0],
      ['run-created-1', 1],
      ['run-created-2', 2],
    ]);
    expect(outcomes.messages.filter((entry) => entry.outcome === 'exhausted')).toHaveLength(1);
  });

  it('rejects a delay-queue message it did not write', async () => {
    // Prepare
    const { retrier, context } = setup();

    // Act
    const result = await retrier.handleDelayed('{"kind":"something-else"}', context());

    // Assess
    expect(result).toMatchObject({ outcome: 'rejected', published: true });
  });
});

describe('manual retries', () => {
  it('re-triggers a run the policy refused, once, and refuses it after', async () => {
    // Prepare
    const { retrier, context, alertFor, flowService } = setup({
      policy: { retryUnknown: false, retryableCodes: [] },
    });
    const refused = await retrier.handleAlert(alertFor(RUN), context());

    // Act
    const manual = await retrier.retryManually({ orgId: ORG, sandboxName: 'dev' }, RUN, context());
    const again = await retrier.retryManually({ orgId: ORG, sandboxName: 'dev' }, RUN, context());

    // Assess
    expect(refused.outcome).toBe('not_retryable');
    expect(manual).toMatchObject({ outcome: 'retriggered', newRunId: 'run-created-1', source: 'manual' });
    expect(again).toMatchObject({
      outcome: 'duplicate',
      reason: expect.stringContaining('already re-triggered'),
    });
    expect(flowService.count('retrigger')).toBe(1);
    expect(flowService.count('getFlow')).toBe(1);
  });

  it('reports dry_run without posting when asked to', async () => {
    // Prepare
    const { retrier, context, flowService } = setup();

    // Act
    const result = await retrier.retryManually({ orgId: ORG, sandboxName: 'dev' }, RUN, {
      ...context(),
      dryRun: true,
    });

    // Assess
    expect(result.outcome).toBe('dry_run');
    expect(flowService.count('retrigger')).toBe(0);
  });
});

describe('the delay message', () => {
  it('carries the claim token the ledger holds as the schedule token', async () => {
    // Prepare
    const { retrier, context, alertFor, delayQueue, ledger } = setup({ policy: { delaysSeconds: [30] } });

    // Act
    await retrier.handleAlert(alertFor(RUN), context());

    // Assess
    const sent = delayQueue.sent[0]?.message as DelayedRetry;
    expect(sent).toMatchObject({ kind: 'aep-autoretry/delayed-retry', version: 1, attempt: 1 });
    expect(ledger.runs.get(RUN)?.scheduleToken).toBe(sent.scheduleToken);
  });
});
