/**
 * Lineage, budget and backoff end to end (issue 3): a chain of failures re-triggered as attempts
 * 1..maxAttempts and then `exhausted` with the whole chain; a delayed attempt that goes through
 * the real SQS delay queue, re-checks the run and the flow, and fires; a flow disabled during the
 * wait.
 */
import type { OutcomeMessage } from '../../contracts/outcome';
import type { RunErrorInput } from '../../emulator/types';
import {
  captureOutput,
  deliverUntilSettled,
  ledgerRecord,
  pendingRetries,
  startWorld,
  type World,
} from '../support/local-world';

let output: ReturnType<typeof captureOutput>;

beforeAll(() => {
  output = captureOutput();
});

afterAll(() => {
  output.restore();
});

describe('a chain of failures', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ policy: { maxAttempts: 3, delaysSeconds: [0] } });
  });

  afterAll(async () => {
    await world.close();
  });

  it('re-triggers attempts 1 to 3, then publishes exhausted once with the chain of runs and codes', async () => {
    // Prepare: each run of the chain fails with its own (retryable) codes.
    const codes: RunErrorInput[][] = [
      ['CONNECTOR-1001-500'],
      ['CONNECTOR-3001-500'],
      ['2200'],
      ['CONNECTOR-1001-500', '2200'],
    ];
    const flow = world.addFlow();
    const root = world.failedRun(flow, { errors: codes[0] });
    const runIds = [root.run.id];
    const steps: OutcomeMessage[][] = [];
    let alert: unknown = root.alert;

    // Act: deliver each failure; fail each new run and deliver its alert, until the chain stops.
    for (let step = 0; step < 4; step++) {
      await world.publishAlert(alert);
      await world.deliver();
      const outcomes = await world.outcomes();
      steps.push(outcomes);
      const newRunId = outcomes[0]?.newRunId;
      if (!newRunId) break;
      runIds.push(newRunId);
      alert = world.emulator.state.completeRun(newRunId, { status: 'failed', errors: codes[step + 1] });
    }
    // A late duplicate of the last alert changes nothing.
    await world.publishAlert(alert);
    await world.deliver();
    const afterDuplicate = await world.outcomes();

    // Assess
    expect(steps.map((outcomes) => outcomes.map((outcome) => [outcome.outcome, outcome.attempt]))).toEqual([
      [['retriggered', 1]],
      [['retriggered', 2]],
      [['retriggered', 3]],
      [['exhausted', 4]],
    ]);
    expect(runIds).toHaveLength(4);
    for (let index = 1; index < runIds.length; index++) {
      expect(world.emulator.state.lineage(runIds[index] ?? '').retriggeredFrom).toBe(runIds[index - 1]);
    }
    const exhausted = steps[3]?.[0];
    expect(exhausted).toMatchObject({ runId: runIds[3], rootRunId: root.run.id, maxAttempts: 3 });
    expect(exhausted?.chain?.map((link) => link.runId)).toEqual(runIds);
    expect(exhausted?.chain?.map((link) => link.attempt)).toEqual([0, 1, 2, 3]);
    exhausted?.chain?.forEach((link, index) => {
      for (const code of codes[index] ?? []) expect(link.errorCodes).toContain(code);
    });
    expect(steps[1]?.[0]).toMatchObject({
      rootRunId: root.run.id,
      chain: [{ runId: root.run.id }, { runId: runIds[1] }],
    });
    expect(afterDuplicate).toEqual([]);
    expect(Object.values(world.emulator.state.stats().retriggers.bySourceRun)).toEqual([1, 1, 1]);
  });
});

describe('a delayed attempt', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ policy: { delaysSeconds: [0, 2], jitterRatio: 0 } });
  });

  afterAll(async () => {
    await world.close();
  });

  beforeEach(async () => {
    await world.outcomes();
  });

  /** Re-triggers a root failure at once and answers the failure alert of the new run (attempt 2). */
  async function secondFailure() {
    const flow = world.addFlow();
    await world.publishAlert(world.failedRun(flow).alert);
    await world.deliver();
    const [first] = await world.outcomes();
    const child = first?.newRunId ?? '';
    return { flow, child, alert: world.emulator.state.completeRun(child, { status: 'failed' }) };
  }

  it('schedules the attempt on the delay queue, then re-checks the flow and re-triggers when it is due', async () => {
    // Prepare
    const { flow, child, alert } = await secondFailure();
    await world.publishAlert(alert);

    // Act
    await world.deliver();
    const scheduled = await world.outcomes();
    const queued = await pendingRetries(world);
    const ledgerWhileWaiting = await ledgerRecord(world, child);
    const since = world.emulator.state.calls().length;
    const delivery = await deliverUntilSettled(world);
    const fired = await world.outcomes();

    // Assess
    expect(scheduled).toEqual([expect.objectContaining({ outcome: 'scheduled', runId: child, attempt: 2 })]);
    const dueAt = Date.parse(scheduled[0]?.dueAt ?? '');
    const decidedAt = Date.parse(scheduled[0]?.at ?? '');
    expect(dueAt - decidedAt).toBeGreaterThan(0);
    expect(dueAt - decidedAt).toBeLessThanOrEqual(2000);
    expect(queued).toBe(1);
    expect(ledgerWhileWaiting).toMatchObject({ state: 'scheduled', dueAt, attempt: 2 });
    expect(delivery).toEqual({ alerts: 0, delayed: 1, sentToOnFailure: 0 });
    expect(await pendingRetries(world)).toBe(0);
    expect(fired).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: child, attempt: 2 })]);
    const calls = world.emulator.state
      .calls(since)
      .map((call) => `${call.route} ${call.path.split('/').pop()}`);
    expect(calls).toEqual([`runs.get ${child}`, `flows.get ${flow.id}`, 'runs.action action']);
    const newRun = world.emulator.state.getRun(fired[0]?.newRunId ?? '');
    // The delay queue held it back: SQS delivers it at the due time (the retrier fires up to 1 s early).
    expect(newRun?.createdAt).toBeGreaterThanOrEqual(dueAt - 1000);
    expect(world.emulator.state.stats().retriggers.bySourceRun[child]).toBe(1);
  });

  it('publishes not_retryable, without re-triggering, when the flow was disabled during the wait', async () => {
    // Prepare
    const { flow, child, alert } = await secondFailure();
    await world.publishAlert(alert);
    await world.deliver();
    const scheduled = await world.outcomes();
    world.emulator.state.addFlow({
      id: flow.id,
      name: flow.name,
      sandboxName: flow.sandboxName,
      orgId: flow.imsOrgId,
      state: 'disabled',
    });

    // Act
    const delivery = await deliverUntilSettled(world);
    const fired = await world.outcomes();

    // Assess
    expect(scheduled).toEqual([expect.objectContaining({ outcome: 'scheduled', runId: child })]);
    expect(delivery).toEqual({ alerts: 0, delayed: 1, sentToOnFailure: 0 });
    expect(fired).toEqual([expect.objectContaining({ outcome: 'not_retryable', runId: child, attempt: 2 })]);
    expect(fired[0]?.reason).toContain(`dataflow ${flow.id} is disabled`);
    expect(world.emulator.state.stats().retriggers.bySourceRun[child]).toBeUndefined();
  });
});
