/**
 * `retry` and `status` against the local sandbox: the manual re-trigger goes through the same
 * ledger and Flow Service as the Lambda, and `status` reads the chain the Lambda recorded.
 */
import { type CliSandbox, startCliSandbox } from './support';

let sandbox: CliSandbox;

beforeAll(async () => {
  sandbox = await startCliSandbox();
});

beforeEach(async () => {
  // Each test reads only the outcomes it caused.
  await sandbox.stack.outcomes();
});

afterAll(async () => {
  await sandbox.close();
});

const retriggersOf = (runId: string) =>
  sandbox.stack.emulator.state.stats().retriggers.bySourceRun[runId] ?? 0;

describe('retry', () => {
  it('re-triggers a failed run and publishes the new run id on the outcomes topic', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow);

    // Act
    const result = await sandbox.run(['retry', run.id, '--sandbox', 'prod', '--json']);

    // Assess
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({
      outcome: 'retriggered',
      runId: run.id,
      flowId: flow.id,
      source: 'manual',
    });
    expect(sandbox.stack.emulator.state.lineage(printed.newRunId).retriggeredFrom).toBe(run.id);
    const outcomes = await sandbox.stack.outcomes();
    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'retriggered', runId: run.id, newRunId: printed.newRunId }),
    ]);
  });

  it('answers duplicate to a second retry of the same run and posts nothing more', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow);
    const first = await sandbox.run(['retry', run.id, '--sandbox', 'prod']);
    const firstOutcomes = await sandbox.stack.outcomes();

    // Act
    const second = await sandbox.run(['retry', run.id]);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^retriggered: run /);
    expect(firstOutcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
    expect(second.code).toBe(1);
    expect(second.stdout).toContain(`duplicate: run ${run.id}`);
    expect(second.stdout).toContain('already re-triggered as run');
    expect(retriggersOf(run.id)).toBe(1);
    expect(await sandbox.stack.outcomes()).toEqual([]);
  });

  it('claims and verifies without re-triggering with --dry-run, and a later retry still works', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow);

    // Act
    const dry = await sandbox.run(['retry', run.id, '--sandbox', 'prod', '--dry-run', '--json']);
    const dryOutcomes = await sandbox.stack.outcomes();
    const real = await sandbox.run(['retry', run.id, '--json']);

    // Assess
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ outcome: 'dry_run', dryRun: true, published: true });
    expect(dryOutcomes).toEqual([expect.objectContaining({ outcome: 'dry_run', runId: run.id })]);
    expect(JSON.parse(real.stdout)).toMatchObject({ outcome: 'retriggered', runId: run.id });
    expect(retriggersOf(run.id)).toBe(1);
  });

  it('fails with the reason when the run is no longer failed', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow, { status: 'success' });

    // Act
    const result = await sandbox.run(['retry', run.id, '--sandbox', 'prod']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`ignored: run ${run.id}`);
    expect(result.stdout).toContain('only failed runs are re-triggered');
    expect(retriggersOf(run.id)).toBe(0);
  });

  it('rejects a run the ledger does not know when --sandbox is missing', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow);

    // Act
    const result = await sandbox.run(['retry', run.id]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --sandbox <name>');
    expect(retriggersOf(run.id)).toBe(0);
  });

  it('rejects an org the credential secret does not hold, naming the ones it does', async () => {
    // Prepare
    const flow = sandbox.addFlow();
    const { run } = sandbox.failedRun(flow);

    // Act
    const result = await sandbox.run(['retry', run.id, '--sandbox', 'prod', '--org', 'FFFF@AdobeOrg']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no credential for org FFFF@AdobeOrg');
    expect(result.stderr).toContain(sandbox.credentials[0]?.orgId);
    expect(result.stderr).not.toContain(sandbox.credentials[0]?.clientSecret);
  });
});

describe('status', () => {
  it("shows a run's chain from the root through every re-trigger", async () => {
    // Prepare: a failure, its re-trigger failing again, and that one's re-trigger
    const flow = sandbox.addFlow();
    const { run: root, alert } = sandbox.failedRun(flow);
    await sandbox.stack.publishAlert(alert);
    await sandbox.stack.deliver();
    const first = (await sandbox.stack.outcomes()).find((outcome) => outcome.runId === root.id);
    const child = first?.newRunId ?? '';
    const childAlert = sandbox.stack.emulator.state.completeRun(child, {
      status: 'failed',
      errors: ['CONNECTOR-3001-500'],
    });
    await sandbox.stack.publishAlert(childAlert);
    await sandbox.stack.deliver();
    const second = (await sandbox.stack.outcomes()).find((outcome) => outcome.runId === child);
    const grandchild = second?.newRunId ?? '';

    // Act
    const json = await sandbox.run(['status', child, '--json']);
    const text = await sandbox.run(['status', child]);

    // Assess
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status).toMatchObject({ runId: child, rootRunId: root.id, flowId: flow.id, sandboxName: 'prod' });
    expect(status.chain).toEqual([
      expect.objectContaining({
        runId: root.id,
        attempt: 0,
        state: 'done',
        outcome: 'retriggered',
        childRunId: child,
      }),
      expect.objectContaining({
        runId: child,
        attempt: 1,
        outcome: 'retriggered',
        errorCodes: ['CONNECTOR-3001-500'],
        childRunId: grandchild,
      }),
      expect.objectContaining({ runId: grandchild, attempt: 2, state: 'lineage', outcome: null }),
    ]);
    expect(status.chain[0].errorCodes.length).toBeGreaterThan(0);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Chain from root run ${root.id} (3 runs)`);
    expect(text.stdout).toMatch(new RegExp(`\\*1 +${child} +retriggered +CONNECTOR-3001-500`));
  });

  it('fails with a clear message when the ledger has no record of the run', async () => {
    // Prepare
    const runId = 'f00df00d-0000-4000-8000-000000000000';

    // Act
    const result = await sandbox.run(['status', runId]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`has no record of run ${runId}`);
  });
});
