/**
 * The retrier's paths end to end (issue 2): every alert envelope, the org check, a run that is no
 * longer failed, Adobe's refusals and dry run. The real bundle runs against moto_server and the
 * Flow Service emulator over loopback; outcomes are read from the outcomes topic.
 */
import { randomUUID } from 'node:crypto';
import type { OutcomeMessage } from '../../contracts/outcome';
import { type AlertPayload, inCloudEvents, inEventBridge, inLegacyEnvelope } from '../../emulator/alerts';
import type { LambdaHandler } from '../../sandbox/local-lambda';
import { alertLogLines, captureOutput, startWorld, type World } from '../support/local-world';

const OTHER_ORG = 'F0E1D2C3B4A5968778695A4B@AdobeOrg';

let world: World;
let stdout: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  stdout = captureOutput();
  world = await startWorld();
});

afterAll(async () => {
  stdout.restore();
  await world.close();
});

beforeEach(async () => {
  // A test that failed half-way must not leave outcomes for the next one.
  await world.outcomes();
});

/** Publishes, delivers and reads the outcomes, counting the emulator calls it caused. */
async function publishAndDeliver(
  alert: unknown,
  options: { attributes?: Record<string, string>; handler?: LambdaHandler } = {},
) {
  const callsBefore = world.emulator.state.calls().length;
  await world.publishAlert(alert, options.attributes);
  const delivery = await world.deliver({ handler: options.handler });
  const outcomes = await world.outcomes();
  return { delivery, outcomes, calls: world.emulator.state.calls(callsBefore) };
}

describe('envelopes', () => {
  const envelopes: [string, string, (payload: AlertPayload) => unknown][] = [
    ['the run object itself', 'run', (payload) => payload],
    ['a CloudEvents envelope (data)', 'cloudevents', (payload) => inCloudEvents(payload)],
    ['a legacy I/O Events envelope (event)', 'io-legacy', (payload) => inLegacyEnvelope(payload)],
    ['an EventBridge envelope (detail)', 'eventbridge', (payload) => inEventBridge(payload)],
  ];

  it.each(envelopes)('re-triggers the run of an alert in %s', async (_name, source, wrap) => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);

    // Act
    const { delivery, outcomes } = await publishAndDeliver(wrap(alert));

    // Assess
    expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes as [OutcomeMessage];
    expect(outcome).toMatchObject({ outcome: 'retriggered', runId: run.id, flowId: flow.id, attempt: 1 });
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
    expect(world.emulator.state.lineage(run.id).retriggeredAs).toEqual([outcome.newRunId]);
    const logged = alertLogLines(stdout.lines()).filter((line) => line.runId === run.id);
    expect(logged).toEqual([expect.objectContaining({ outcome: 'retriggered', source })]);
  });

  it('re-triggers the run of an alert that carries the ioEventId message attribute', async () => {
    // Prepare
    const flow = world.addFlow();
    const { run, alert } = world.failedRun(flow);
    const eventId = randomUUID();

    // Act
    const { delivery, outcomes } = await publishAndDeliver(inCloudEvents(alert, { eventId }), {
      attributes: { ioEventId: eventId },
    });

    // Assess
    expect(delivery.sentToOnFailure).toBe(0);
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  });
});

it('rejects an alert of an org the credential secret does not hold, without calling Adobe', async () => {
  // Prepare
  const flow = world.addFlow({ orgId: OTHER_ORG });
  const { run, alert } = world.failedRun(flow);
  // A cold container holds no token yet: not even IMS may be asked for one.
  const coldContainer = world.newContainer();

  // Act
  const { delivery, outcomes, calls } = await publishAndDeliver(alert, { handler: coldContainer });

  // Assess
  expect(delivery.sentToOnFailure).toBe(0);
  expect(outcomes).toEqual([
    expect.objectContaining({ outcome: 'rejected', runId: run.id, imsOrgId: OTHER_ORG }),
  ]);
  expect(outcomes[0]?.reason).toContain(OTHER_ORG);
  expect(calls).toEqual([]);
});

it('ignores a failure alert whose run has succeeded since, without re-triggering', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  world.emulator.state.completeRun(run.id, { status: 'success' });

  // Act
  const { outcomes, calls } = await publishAndDeliver(alert);

  // Assess
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'ignored', runId: run.id })]);
  expect(outcomes[0]?.reason).toContain('success');
  expect(calls.filter((call) => call.route === 'runs.get')).toHaveLength(1);
  expect(calls.filter((call) => call.route === 'runs.action')).toEqual([]);
  expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBeUndefined();
});

describe('refused re-triggers', () => {
  it.each([
    ['a disabled dataflow', 'FLOW-1388-400', { state: 'disabled' }],
    ['a streaming dataflow', 'FLOW-1333-400', { sourceKind: 'streaming' }],
  ] as const)('publishes not_retryable for %s with the code %s', async (_name, code, flowInput) => {
    // Prepare
    const flow = world.addFlow(flowInput);
    const { run, alert } = world.failedRun(flow);

    // Act
    const { delivery, outcomes, calls } = await publishAndDeliver(alert);

    // Assess
    expect(delivery.sentToOnFailure).toBe(0);
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'not_retryable', runId: run.id })]);
    expect(outcomes[0]?.reason).toContain(code);
    expect(calls.filter((call) => call.route === 'runs.action').map((call) => call.status)).toEqual([400]);
    expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBeUndefined();
  });
});

describe('dry run', () => {
  let dryWorld: World;

  beforeAll(async () => {
    dryWorld = await startWorld({ dryRun: true });
  });

  afterAll(async () => {
    await dryWorld.close();
  });

  it('publishes dry_run and sends no re-trigger', async () => {
    // Prepare
    const flow = dryWorld.addFlow();
    const { run, alert } = dryWorld.failedRun(flow);

    // Act
    await dryWorld.publishAlert(alert);
    const delivery = await dryWorld.deliver();
    const outcomes = await dryWorld.outcomes();

    // Assess
    expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'dry_run', runId: run.id, attempt: 1 })]);
    const routes = dryWorld.emulator.state.calls().map((call) => call.route);
    expect(routes).toContain('runs.get');
    expect(routes).not.toContain('runs.action');
    expect(dryWorld.retriggers()).toBe(0);
  });
});
