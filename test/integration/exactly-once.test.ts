/**
 * Exactly once on real DynamoDB semantics (issue 3): duplicates in sequence, ten concurrent
 * duplicates in one process, concurrent duplicates from separate Node processes, and a container
 * killed between the re-trigger POST and its ledger write. Every case ends with one POST.
 *
 * DynamoDB calls reach moto one at a time through its front door (sandbox/moto-proxy.ts): moto's
 * conditional writes are not atomic under concurrent requests, DynamoDB's are.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lambdaContext } from '../../sandbox/local-lambda';
import { type ChildContainer, killChildren, startChildContainer } from '../support/child-lambda';
import {
  alertLogLines,
  bundlePath,
  captureOutput,
  expireLease,
  ledgerRecord,
  motoProxyStats,
  snsEventOf,
  startWorld,
  type World,
} from '../support/local-world';

let world: World;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  output = captureOutput();
  world = await startWorld();
});

afterAll(async () => {
  output.restore();
  await killChildren();
  await world.close();
});

beforeEach(async () => {
  await world.outcomes();
});

afterEach(() => {
  world.emulator.state.clearFaults();
});

/** The environment of a child container: this worker's (moto variables included) and the world's. */
function childEnv(): Record<string, string | undefined> {
  return { ...process.env, ...world.env };
}

/** Waits until `condition` holds, checking every 20 ms, for at most `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) return false;
    await sleep(20);
  }
  return true;
}

it('re-triggers once when the same alert is delivered three times in a row', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  for (let copy = 0; copy < 3; copy++) await world.publishAlert(alert);

  // Act
  const delivery = await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(delivery).toEqual({ alerts: 3, delayed: 0, sentToOnFailure: 0 });
  expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
  const logged = alertLogLines(output.lines()).filter((line) => line.runId === run.id);
  expect(logged.map((line) => line.outcome)).toEqual(['retriggered', 'duplicate', 'duplicate']);
  expect(logged[1]?.reason).toContain(`already re-triggered as run ${outcomes[0]?.newRunId}`);
});

it('re-triggers once when ten containers of one process get the same alert at once', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  const containers = Array.from({ length: 10 }, () => world.newContainer());
  const event = snsEventOf(world, alert);

  // Act
  const settled = await Promise.allSettled(containers.map((handler) => handler(event, lambdaContext())));
  const outcomes = await world.outcomes();

  // Assess
  expect(settled.map((result) => result.status)).toEqual(Array(10).fill('fulfilled'));
  expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  expect(world.emulator.state.calls().filter((call) => call.route === 'runs.action')).toHaveLength(
    world.retriggers(),
  );
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
  const logged = alertLogLines(output.lines()).filter((line) => line.runId === run.id);
  expect(logged.filter((line) => line.outcome === 'retriggered')).toHaveLength(1);
  expect(logged.filter((line) => line.outcome === 'duplicate')).toHaveLength(9);
});

it('re-triggers once when six separate processes get the same alert at once', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  const event = snsEventOf(world, alert);
  const children: ChildContainer[] = Array.from({ length: 6 }, () =>
    startChildContainer({ bundle: bundlePath('retrier'), env: childEnv() }),
  );
  await Promise.all(children.map((child) => child.ready));

  // Act
  const results = await Promise.all(children.map((child) => child.invoke(event)));
  const exits = await Promise.all(children.map((child) => child.exited));
  const outcomes = await world.outcomes();

  // Assess
  const proxy = await motoProxyStats();
  expect(proxy.dynamodbRequests).toBeGreaterThan(0);
  expect(proxy.maxDynamodbInFlight).toBe(1);
  expect(results).toEqual(Array(6).fill(expect.objectContaining({ ok: true })));
  expect(exits).toEqual(Array(6).fill({ code: 0, signal: null }));
  expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
  const logged = alertLogLines(children.flatMap((child) => child.stdout()));
  expect(logged.map((line) => line.outcome).sort()).toEqual([
    'duplicate',
    'duplicate',
    'duplicate',
    'duplicate',
    'duplicate',
    'retriggered',
  ]);
});

it('adopts the run a container created before it was killed, instead of re-triggering again', async () => {
  // Prepare: the POST takes effect at once, but its answer hangs until the container is killed.
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  world.emulator.state.addFault({
    method: 'POST',
    path: `^/runs/${run.id}/action$`,
    delayMs: 20_000,
    applyEffect: true,
  });
  const child = startChildContainer({ bundle: bundlePath('retrier'), env: childEnv() });
  await child.ready;
  const answer = child.invoke(snsEventOf(world, alert));
  const created = await until(
    () => world.emulator.state.stats().retriggers.bySourceRun[run.id] === 1,
    10_000,
  );
  child.kill('SIGKILL');
  const exit = await child.exited;
  const crashed = await ledgerRecord(world, run.id);
  await expireLease(world, run.id);

  // Act
  await world.publishAlert(alert);
  const delivery = await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(created).toBe(true);
  expect(exit.signal).toBe('SIGKILL');
  await expect(answer).rejects.toThrow(/exited/);
  expect(crashed).toMatchObject({ state: 'claimed' });
  expect(crashed?.childRunId).toBeUndefined();
  expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
  const [newRunId] = world.emulator.state.lineage(run.id).retriggeredAs;
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id, newRunId })]);
  expect(outcomes[0]?.reason).toContain('adopted');
  expect(world.emulator.state.stats().retriggers.bySourceRun[run.id]).toBe(1);
  expect(await ledgerRecord(world, run.id)).toMatchObject({ state: 'done', childRunId: newRunId });
});
