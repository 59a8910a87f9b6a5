/**
 * The whole path with real parts: an alert published to the alerts topic in moto, delivered to
 * the real bundle as SNS would, re-triggered on the emulator, the outcome read from the topic.
 */
import { captureOutput, startWorld, type World } from '../support/local-world';

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

it('re-triggers a failed run and publishes the new run id on the outcomes topic', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);

  // Act
  await world.publishAlert(alert);
  const delivery = await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(delivery).toEqual({ alerts: 1, delayed: 0, sentToOnFailure: 0 });
  expect(world.retriggers()).toBe(1);
  expect(outcomes).toHaveLength(1);
  const [outcome] = outcomes;
  expect(outcome).toMatchObject({ outcome: 'retriggered', runId: run.id, flowId: flow.id, attempt: 1 });
  expect(world.emulator.state.lineage(outcome?.newRunId ?? '').retriggeredFrom).toBe(run.id);
  expect(stdout.lines().some((line) => line.includes('"alert handled"') && line.includes(run.id))).toBe(true);
});
