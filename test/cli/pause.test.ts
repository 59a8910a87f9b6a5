/**
 * `pause` and `resume` against the local sandbox: the pause is stored in the ledger and the real
 * retrier bundle honours it on the next alert, without a restart.
 */
import { hostname } from 'node:os';
import { type CliSandbox, startCliSandbox } from './support';

let sandbox: CliSandbox;

beforeAll(async () => {
  sandbox = await startCliSandbox();
});

beforeEach(async () => {
  await sandbox.stack.outcomes();
});

afterAll(async () => {
  await sandbox.close();
});

/** Publishes a failure alert for a new failed run of the flow and returns the retrier's outcome. */
async function alertAbout(flow: ReturnType<CliSandbox['addFlow']>) {
  const { run, alert } = sandbox.failedRun(flow);
  await sandbox.stack.publishAlert(alert);
  await sandbox.stack.deliver();
  const outcomes = await sandbox.stack.outcomes();
  return { run, outcome: outcomes.find((outcome) => outcome.runId === run.id) };
}

it('pauses a dataflow so the retrier ignores its next failure alert', async () => {
  // Prepare
  const flow = sandbox.addFlow();

  // Act
  const paused = await sandbox.run([
    'pause',
    flow.id,
    '--reason',
    'SFTP host moves tonight',
    '--by',
    'ops@example',
  ]);
  const { run, outcome } = await alertAbout(flow);

  // Assess
  expect(paused.code).toBe(0);
  expect(paused.stdout).toContain(`Dataflow ${flow.id} is paused (by ops@example: SFTP host moves tonight)`);
  expect(outcome).toMatchObject({ outcome: 'ignored', runId: run.id });
  expect(outcome?.reason).toContain('is paused by ops@example');
  expect(sandbox.stack.emulator.state.stats().retriggers.bySourceRun[run.id]).toBeUndefined();
});

it('names the user and host as the one who paused when --by is not given', async () => {
  // Prepare
  const flow = sandbox.addFlow();

  // Act
  const paused = await sandbox.run(['pause', flow.id, '--json'], { env: { USER: 'tester' } });
  const status = await alertAbout(flow).then(({ run }) => sandbox.run(['status', run.id]));

  // Assess
  expect(paused.code).toBe(0);
  expect(JSON.parse(paused.stdout)).toMatchObject({
    flowId: flow.id,
    paused: true,
    by: `tester@${hostname()}`,
  });
  expect(status.stdout).toContain(`Dataflow ${flow.id} is paused by tester@${hostname()}`);
});

it('resumes a paused dataflow so its next failure is re-triggered again', async () => {
  // Prepare
  const flow = sandbox.addFlow();
  await sandbox.run(['pause', flow.id]);

  // Act
  const resumed = await sandbox.run(['resume', flow.id]);
  const { run, outcome } = await alertAbout(flow);

  // Assess
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toContain(`Dataflow ${flow.id} is resumed (it was paused by tester@`);
  expect(outcome).toMatchObject({ outcome: 'retriggered', runId: run.id });
});

it('says so when the dataflow to resume was not paused', async () => {
  // Prepare
  const flow = sandbox.addFlow();

  // Act
  const resumed = await sandbox.run(['resume', flow.id, '--json']);

  // Assess
  expect(resumed.code).toBe(0);
  expect(JSON.parse(resumed.stdout)).toEqual({ flowId: flow.id, paused: false, wasPaused: false });
});

it('rejects a dataflow id that is not an id', async () => {
  // Act
  const result = await sandbox.run(['pause', '../etc/passwd']);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('"../etc/passwd" is not a dataflow id');
});
