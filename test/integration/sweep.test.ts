/**
 * The missed-alert sweep with real parts: the real sweep bundle lists failed runs on the emulator,
 * reads the ledger and publishes to the alerts topic in moto; the real retrier bundle then handles
 * what it published, through the same ledger.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SWEEP_ENV } from '../../contracts/environment';
import type { SweepReport } from '../../lambda/core/sweep';
import { type LambdaHandler, lambdaContext, loadHandler } from '../../sandbox/local-lambda';
import { bundlePath, captureOutput, jestLoader, startWorld, type World } from '../support/local-world';

const HOUR = 3_600_000;

let world: World;
let sweep: LambdaHandler;
let stdout: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  stdout = captureOutput();
  // Immediate re-triggers, so a failed re-triggered run is re-triggered again at once.
  world = await startWorld({ policy: { delaysSeconds: [0] } });
  sweep = loadHandler(
    bundlePath('sweep'),
    {
      ...world.env,
      [SWEEP_ENV.alertsTopicArn]: world.resources.alertsTopicArn,
      [SWEEP_ENV.sandboxes]: 'prod',
      [SWEEP_ENV.lookbackMinutes]: '120',
      [SWEEP_ENV.maxCallsPerSecond]: '50',
    },
    jestLoader,
  );
});

afterAll(async () => {
  stdout.restore();
  await world.close();
});

const runSweep = async () =>
  (await sweep(
    { 'detail-type': 'Scheduled Event', source: 'aws.events' },
    lambdaContext(300_000, 'sweep'),
  )) as SweepReport;

it('publishes the failed runs nobody alerted on, skipping handled, old and successful ones', async () => {
  // Prepare
  const flow = world.addFlow();
  const missed = world.failedRun(flow, { createdAt: Date.now() - 20 * 60_000 }).run;
  const handled = world.failedRun(flow, { createdAt: Date.now() - 30 * 60_000 });
  const old = world.failedRun(flow, { createdAt: Date.now() - 3 * HOUR }).run;
  const succeeded = world.emulator.state.addRun({ flowId: flow.id, status: 'success' });
  await world.publishAlert(handled.alert);
  await world.deliver();
  await world.outcomes();

  // Act
  const report = await runSweep();
  const delivery = await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(report.published.map((run) => run.runId)).toEqual([missed.id]);
  expect(report).toMatchObject({ listed: 2, alreadyHandled: 1, errors: 0, capped: false });
  expect(delivery.alerts).toBe(1);
  expect(outcomes).toEqual([
    expect.objectContaining({ outcome: 'retriggered', runId: missed.id, attempt: 1 }),
  ]);
  for (const id of [handled.run.id, old.id, succeeded.id]) {
    expect(outcomes.some((outcome) => outcome.runId === id)).toBe(false);
  }
});

it('publishes nothing new on the next sweep', async () => {
  // Act
  const report = await runSweep();
  const delivery = await world.deliver();

  // Assess
  expect(report.published).toEqual([]);
  expect(report.alreadyHandled).toBeGreaterThanOrEqual(2);
  expect(delivery.alerts).toBe(0);
});

it('continues the lineage of a re-triggered run whose own failure was never alerted', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  await world.publishAlert(alert);
  await world.deliver();
  const [first] = await world.outcomes();
  const child = first?.newRunId ?? '';
  world.emulator.state.completeRun(child, { status: 'failed' });

  // Act
  const report = await runSweep();
  await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(report.published).toEqual([expect.objectContaining({ runId: child, createdByTool: true })]);
  expect(outcomes).toEqual([
    expect.objectContaining({ outcome: 'retriggered', runId: child, attempt: 2, rootRunId: run.id }),
  ]);
});

it('writes nothing to the ledger', async () => {
  // Prepare
  const before = await new DynamoDBClient({}).send(
    new ScanCommand({ TableName: world.resources.ledgerTableName }),
  );

  // Act
  await runSweep();
  const after = await new DynamoDBClient({}).send(
    new ScanCommand({ TableName: world.resources.ledgerTableName }),
  );

  // Assess
  expect(after.Count).toBe(before.Count);
});

it('throws after sweeping what it could when Flow Service fails for one sandbox', async () => {
  // Prepare
  const twoSandboxes = loadHandler(bundlePath('sweep'), { [SWEEP_ENV.sandboxes]: 'prod,dev' }, jestLoader);
  const devFlow = world.addFlow({ sandboxName: 'dev' });
  const devRun = world.failedRun(devFlow).run;
  // The first list call (sandbox prod) and its three retries answer 500.
  world.emulator.state.addFault({ method: 'GET', path: '^/runs$', status: 500, times: 4 });

  // Act
  const sweeping = twoSandboxes({}, lambdaContext(300_000, 'sweep'));

  // Assess
  await expect(sweeping).rejects.toThrow(/the sweep could not cover A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg\/prod/);
  await world.deliver();
  expect(await world.outcomes()).toEqual([
    expect.objectContaining({ outcome: 'retriggered', runId: devRun.id }),
  ]);
});

it('logs one summary line per sweep', () => {
  // Assess
  const lines = stdout.lines().filter((line) => line.includes('"sweep finished"'));
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
    publishedCount: 1,
    listed: 2,
    alreadyHandled: 1,
    errors: 0,
  });
});
