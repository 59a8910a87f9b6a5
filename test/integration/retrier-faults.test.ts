/**
 * Faults end to end (issue 2): throttling, unavailable and failing Flow Service answers, a POST that
 * failed yet took effect, a fault that outlives every retry (on-failure queue, then redrive), and
 * an expired token refreshed once. The emulator injects the faults; the real bundle handles them.
 */
import type { OutcomeMessage } from '../../contracts/outcome';
import type { CallLogEntry } from '../../emulator/types';
import { invokeAsync } from '../../sandbox/local-lambda';
import {
  alertLogLines,
  captureOutput,
  drainOnFailure,
  snsEventOf,
  startWorld,
  type World,
} from '../support/local-world';

const POST_RETRIGGER = { method: 'POST', path: '^/runs/[^/]+/action$' } as const;
const GET_RUN = { method: 'GET', path: '^/runs/[^/]+$' } as const;

let output: ReturnType<typeof captureOutput>;

beforeAll(() => {
  output = captureOutput();
});

afterAll(() => {
  output.restore();
});

/** The retrier's per-alert log lines about one run, as `outcome` or `kept <errorKind>`. */
function loggedFor(runId: string): string[] {
  return alertLogLines(output.lines())
    .filter((line) => line.runId === runId)
    .map((line) => (line.message === 'alert kept for retry' ? `kept ${line.errorKind}` : line.outcome));
}

/** Flow Service calls (IMS left out) as `route status` pairs, for readable sequence assertions. */
function flowServiceCalls(calls: readonly CallLogEntry[]): string[] {
  return calls.filter((call) => call.route !== 'ims.token').map((call) => `${call.route} ${call.status}`);
}

describe('Flow Service faults', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
  });

  afterAll(async () => {
    await world.close();
  });

  beforeEach(async () => {
    await world.outcomes();
    await drainOnFailure(world);
  });

  afterEach(() => {
    world.emulator.state.clearFaults();
  });

  it('waits out two 429s with Retry-After on the re-trigger and creates one run', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    world.emulator.state.addFault({ ...POST_RETRIGGER, status: 429, times: 2, retryAfterSeconds: 1 });
    const since = world.emulator.state.calls().length;

    // Act
    await world.publishAlert(alert);
    const delivery = await world.deliver();
    const outcomes = await world.outcomes();

    // Assess
    expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    expect(flowServiceCalls(world.emulator.state.calls(since))).toEqual([
      'runs.get 200',
      'runs.action 429',
      'runs.action 429',
      'runs.action 200',
    ]);
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  });

  it('retries a 503 on GET /runs/{id} inside the invocation', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    world.emulator.state.addFault({ ...GET_RUN, status: 503, times: 1, retryAfterSeconds: 0 });
    const since = world.emulator.state.calls().length;

    // Act
    const invocation = await invokeAsync(world.handler, snsEventOf(world, alert));
    const outcomes = await world.outcomes();

    // Assess
    expect(invocation.attempts).toBe(1);
    expect(invocation.onFailure).toBeUndefined();
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    expect(flowServiceCalls(world.emulator.state.calls(since))).toEqual([
      'runs.get 503',
      'runs.get 200',
      'runs.action 200',
    ]);
  });

  it('adopts the run a re-trigger created although it answered 500, and creates no second one', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    world.emulator.state.addFault({ ...POST_RETRIGGER, status: 500, times: 1, applyEffect: true });

    // Act
    await world.publishAlert(alert);
    const delivery = await world.deliver();
    const outcomes = await world.outcomes();

    // Assess
    expect(delivery.sentToOnFailure).toBe(0);
    const created = world.emulator.state.lineage(run.id).retriggeredAs;
    expect(created).toHaveLength(1);
    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'retriggered', runId: run.id, newRunId: created[0] }),
    ]);
    expect(outcomes[0]?.reason).toContain('adopted');
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  });

  it('keeps the alert after a 500 that created nothing; Lambda’s retry lists the runs, then posts once', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    world.emulator.state.addFault({ ...POST_RETRIGGER, status: 500, times: 1 });
    const since = world.emulator.state.calls().length;

    // Act
    const invocation = await invokeAsync(world.handler, snsEventOf(world, alert));
    const outcomes = await world.outcomes();

    // Assess
    expect(invocation).toEqual({ attempts: 2 });
    expect(loggedFor(run.id)).toEqual(['kept transient', 'retriggered']);
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    const calls = flowServiceCalls(world.emulator.state.calls(since));
    const failedPost = calls.indexOf('runs.action 500');
    const successfulPost = calls.indexOf('runs.action 200');
    expect(failedPost).toBeGreaterThanOrEqual(0);
    expect(successfulPost).toBeGreaterThan(failedPost);
    // The retry, which may follow a POST that took effect, looks for such a run before posting.
    expect(calls[successfulPost - 1]).toBe('runs.list 200');
    expect(calls.filter((call) => call === 'runs.action 200')).toHaveLength(1);
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  });

  it('sends the alert to the on-failure queue when a 503 outlives every retry, and a redrive re-triggers once', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    world.emulator.state.addFault({ ...POST_RETRIGGER, status: 503, times: 0, retryAfterSeconds: 0 });
    await world.publishAlert(alert);

    // Act
    const delivery = await world.deliver();
    const published = await world.outcomes();
    const records = await drainOnFailure(world);
    world.emulator.state.clearFaults();
    const original = records[0]?.requestPayload as { Records: [{ Sns: { Message: string } }] } | undefined;
    await world.publishAlert(original?.Records[0].Sns.Message ?? '');
    const redrive = await world.deliver();
    const afterRedrive = await world.outcomes();

    // Assess
    expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 1 });
    expect(published).toEqual([]);
    expect(loggedFor(run.id)).toEqual(['kept transient', 'kept transient', 'kept transient', 'retriggered']);
    expect(records).toHaveLength(1);
    expect(records[0]?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(records[0]?.responsePayload.errorMessage).toContain('503');
    expect(original?.Records).toHaveLength(1);
    expect(original?.Records[0].Sns).toMatchObject({ TopicArn: world.resources.alertsTopicArn });
    expect(JSON.parse(original?.Records[0].Sns.Message ?? '{}')).toEqual(alert);
    expect(redrive).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
    expect(afterRedrive).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  });
});

describe('IMS tokens', () => {
  let world: World;

  beforeEach(async () => {
    world = await startWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('refreshes an expired token once, on the 401 of the next alert’s first call', async () => {
    // Prepare
    const flows = [world.addFlow(), world.addFlow()];
    const [first, second] = flows.map((flow) => world.failedRun(flow)) as [
      ReturnType<World['failedRun']>,
      ReturnType<World['failedRun']>,
    ];
    await world.publishAlert(first.alert);
    await world.deliver();
    const mintedBefore = world.emulator.state.stats().tokensMinted.total;
    world.emulator.state.expireTokens();
    const since = world.emulator.state.calls().length;

    // Act
    await world.publishAlert(second.alert);
    await world.deliver();
    const outcomes = await world.outcomes();

    // Assess
    expect(mintedBefore).toBe(1);
    expect(world.emulator.state.stats().tokensMinted.total).toBe(2);
    const calls = world.emulator.state.calls(since).map((call) => `${call.route} ${call.status}`);
    expect(calls).toEqual(['runs.get 401', 'ims.token 200', 'runs.get 200', 'runs.action 200']);
    expect(outcomes.map((outcome: OutcomeMessage) => [outcome.outcome, outcome.runId])).toEqual([
      ['retriggered', first.run.id],
      ['retriggered', second.run.id],
    ]);
  });

  it('mints one token per container across many alerts', async () => {
    // Prepare
    const flow = world.addFlow();
    const runs = Array.from({ length: 6 }, () => world.failedRun(flow));
    for (const { alert } of runs) await world.publishAlert(alert);

    // Act
    const delivery = await world.deliver();
    const outcomes = await world.outcomes();

    // Assess
    expect(delivery.alerts).toBe(6);
    expect(outcomes.filter((outcome) => outcome.outcome === 'retriggered')).toHaveLength(6);
    expect(world.emulator.state.stats().tokensMinted.total).toBe(1);
  });
});
