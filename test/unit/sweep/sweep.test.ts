import { normaliseAlert } from '../../../lambda/core/alert';
import { CredentialsError, FlowServiceError } from '../../../lambda/core/errors';
import type { Credential, FlowRun } from '../../../lambda/core/model';
import type { CredentialsPort, FlowServicePort, ListRunsQuery } from '../../../lambda/core/ports';
import { runSweep, type SweepDeps, type SweepOptions } from '../../../lambda/core/sweep';
import { createMemoryLedger, manualClock, staticCredentials } from '../../support/fakes';
import { recordingAlertsTopic } from '../ingress/fakes';

const ORG_A = 'A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg';
const ORG_B = 'FFFFEEEEDDDDCCCCBBBBAAAA@AdobeOrg';
const HOUR = 3_600_000;

const credential = (orgId: string, clientId = `client-${orgId.slice(0, 4)}`): Credential => ({
  clientId,
  clientSecret: 'not-used',
  orgId,
  scopes: ['openid'],
});

/** Flow Service holding runs per org and sandbox; honours the list query like the real one. */
function fakeFlowService(clock: { now(): number }) {
  const runs: FlowRun[] = [];
  const calls: { orgId: string; sandboxName: string; query: ListRunsQuery; at: number }[] = [];
  const failing = new Map<string, Error>();
  const unsupported = async (): Promise<never> => {
    throw new Error('the sweep only lists runs');
  };
  const port: FlowServicePort = {
    getRun: unsupported,
    getFlow: unsupported,
    retrigger: unsupported,
    async listRuns(scope, query) {
      calls.push({ orgId: scope.orgId, sandboxName: scope.sandboxName, query, at: clock.now() });
      const failure = failing.get(`${scope.orgId}/${scope.sandboxName}`);
      if (failure) throw failure;
      return runs
        .filter((run) => run.imsOrgId === scope.orgId && run.sandboxName === scope.sandboxName)
        .filter((run) => query.status === undefined || run.status.toLowerCase() === query.status)
        .filter((run) => query.createdAfter === undefined || (run.createdAt ?? 0) >= query.createdAfter)
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
        .slice(0, query.maxRuns);
    },
  };
  let ids = 0;
  return Object.assign(port, {
    calls,
    failing,
    add(overrides: Partial<FlowRun> = {}): FlowRun {
      const run: FlowRun = {
        id: `run-${++ids}`,
        flowId: `flow-${ids}`,
        status: 'failed',
        sandboxName: 'prod',
        imsOrgId: ORG_A,
        createdAt: clock.now() - 10 * 60_000,
        completedAt: clock.now() - 5 * 60_000,
        errorCodes: ['CONNECTOR-1001-500', '2200'],
        ...overrides,
      };
      runs.push(run);
      return run;
    },
  });
}

function setup(credentials: Credential[] = [credential(ORG_A)]) {
  const clock = manualClock();
  const flowService = fakeFlowService(clock);
  const ledger = createMemoryLedger();
  const alerts = recordingAlertsTopic();
  const sleeps: number[] = [];
  const deps: SweepDeps = {
    flowService,
    credentials: staticCredentials(credentials),
    ledger,
    alerts,
    clock,
    async sleep(ms) {
      sleeps.push(ms);
      clock.advance(ms);
    },
  };
  return { deps, clock, flowService, ledger, alerts, sleeps };
}

const OPTIONS: SweepOptions = {
  sandboxes: ['prod'],
  lookbackMs: 2 * HOUR,
  maxRuns: 500,
  maxPublishes: 50,
  maxCallsPerSecond: 2,
};

const FACTS = { flowId: 'f', sandboxName: 'prod', imsOrgId: ORG_A, errorCodes: [] };

describe('runSweep', () => {
  it('publishes a failure alert, marked as the sweep’s, for a failed run the ledger has never seen', async () => {
    // Prepare
    const { deps, flowService, alerts, clock } = setup();
    const run = flowService.add();

    // Act
    const report = await runSweep(deps, OPTIONS);

    // Assess
    expect(flowService.calls).toEqual([
      {
        orgId: ORG_A,
        sandboxName: 'prod',
        query: { status: 'failed', createdAfter: clock.now() - 2 * HOUR, maxRuns: 500 },
        at: clock.now(),
      },
    ]);
    expect(alerts.published).toHaveLength(1);
    expect(alerts.published[0]?.attributes).toEqual({ origin: 'sweep' });
    expect(report.published).toEqual([
      {
        runId: run.id,
        flowId: run.flowId,
        sandboxName: 'prod',
        imsOrgId: ORG_A,
        createdAt: run.createdAt,
        messageId: 'message-1',
        createdByTool: false,
      },
    ]);
    expect(report).toMatchObject({
      listed: 1,
      alreadyHandled: 0,
      capped: false,
      incomplete: false,
      errors: 0,
    });
  });

  it('publishes an alert the retrier reads as that run’s failure, with its error codes', async () => {
    // Prepare
    const { deps, flowService, alerts } = setup();
    const run = flowService.add({ errorCodes: ['CONNECTOR-2001-500', '3001'] });

    // Act
    await runSweep(deps, OPTIONS);
    const normalised = normaliseAlert(alerts.published[0]?.message);

    // Assess
    expect(normalised).toEqual({
      kind: 'failure',
      alert: {
        runId: run.id,
        flowId: run.flowId,
        sandboxName: 'prod',
        imsOrgId: ORG_A,
        errorCodes: ['CONNECTOR-2001-500', '3001'],
        completedAt: run.completedAt,
        source: 'run',
      },
    });
  });

  it('skips runs the ledger already holds, and publishes runs it knows only as created by the tool', async () => {
    // Prepare
    const { deps, flowService, ledger, alerts } = setup();
    const claimed = flowService.add();
    const done = flowService.add();
    const lineage = flowService.add();
    await ledger.claimRun(claimed.id, FACTS, { now: Date.now(), leaseMs: 60_000 });
    const doneClaim = await ledger.claimRun(done.id, FACTS, { now: Date.now(), leaseMs: 60_000 });
    if (!doneClaim.claimed) throw new Error('setup: claim failed');
    await ledger.recordRetrigger(doneClaim.claim, {
      newRunId: lineage.id,
      attempt: 1,
      facts: FACTS,
      now: Date.now(),
    });

    // Act
    const report = await runSweep(deps, OPTIONS);

    // Assess
    expect(report.published.map((run) => [run.runId, run.createdByTool])).toEqual([[lineage.id, true]]);
    expect(report.alreadyHandled).toBe(2);
    expect(alerts.published).toHaveLength(1);
  });

  it('publishes nothing new on a second sweep once the retrier has claimed what the first found', async () => {
    // Prepare
    const { deps, flowService, ledger, alerts } = setup();
    const run = flowService.add();
    await runSweep(deps, OPTIONS);
    await ledger.claimRun(run.id, FACTS, { now: Date.now(), leaseMs: 60_000 });

    // Act
    const second = await runSweep(deps, OPTIONS);

    // Assess
    expect(second.published).toEqual([]);
    expect(second.alreadyHandled).toBe(1);
    expect(alerts.published).toHaveLength(1);
  });

  it('leaves out runs older than the look-back and runs that are not failed, whatever the server lists', async () => {
    // Prepare
    const { deps, flowService, clock } = setup();
    flowService.add({ createdAt: clock.now() - 3 * HOUR });
    const sloppy = flowService.listRuns.bind(flowService);
    flowService.listRuns = async (scope, query) => [
      ...(await sloppy(scope, { ...query, createdAfter: undefined })),
      { id: 'ok-run', flowId: 'flow', status: 'success', errorCodes: [], createdAt: clock.now() },
    ];

    // Act
    const report = await runSweep(deps, OPTIONS);

    // Assess
    expect(report.listed).toBe(0);
    expect(report.published).toEqual([]);
  });

  it('sweeps every sandbox of every org the credentials hold, once each', async () => {
    // Prepare
    const { deps, flowService } = setup([
      credential(ORG_A),
      credential(ORG_B),
      credential(ORG_A, 'second-client'),
    ]);
    flowService.add({ imsOrgId: ORG_B, sandboxName: 'dev' });

    // Act
    const report = await runSweep(deps, { ...OPTIONS, sandboxes: ['prod', 'DEV', 'dev'] });

    // Assess
    expect(flowService.calls.map((call) => `${call.orgId}/${call.sandboxName}`)).toEqual([
      `${ORG_A}/prod`,
      `${ORG_A}/dev`,
      `${ORG_B}/prod`,
      `${ORG_B}/dev`,
    ]);
    expect(report.published.map((run) => `${run.imsOrgId}/${run.sandboxName}`)).toEqual([`${ORG_B}/dev`]);
    expect(report.scopes).toHaveLength(4);
  });

  it('spaces Flow Service calls to the configured rate', async () => {
    // Prepare
    const { deps, flowService, sleeps } = setup([credential(ORG_A), credential(ORG_B)]);

    // Act
    await runSweep(deps, { ...OPTIONS, sandboxes: ['prod', 'dev'], maxCallsPerSecond: 2 });

    // Assess
    const times = flowService.calls.map((call) => call.at);
    expect(sleeps).toEqual([500, 500, 500]);
    expect(times.slice(1).map((at, index) => at - (times[index] ?? 0))).toEqual([500, 500, 500]);
  });

  it('stops at the publish cap and says so; the next sweep takes the rest', async () => {
    // Prepare
    const { deps, flowService, alerts, ledger } = setup();
    for (let index = 0; index < 5; index++) flowService.add();

    // Act
    const first = await runSweep(deps, { ...OPTIONS, maxPublishes: 2 });
    for (const { runId } of first.published) {
      await ledger.claimRun(runId, FACTS, { now: Date.now(), leaseMs: 60_000 });
    }
    const second = await runSweep(deps, { ...OPTIONS, maxPublishes: 10 });

    // Assess
    expect(first.published).toHaveLength(2);
    expect(first.capped).toBe(true);
    expect(second.published).toHaveLength(3);
    expect(second.capped).toBe(false);
    expect(alerts.published).toHaveLength(5);
  });

  it('lists at most maxRuns runs over all scopes', async () => {
    // Prepare
    const { deps, flowService } = setup();
    for (let index = 0; index < 4; index++) flowService.add();
    flowService.add({ sandboxName: 'dev' });

    // Act
    const report = await runSweep(deps, { ...OPTIONS, sandboxes: ['prod', 'dev'], maxRuns: 3 });

    // Assess
    expect(flowService.calls).toHaveLength(1);
    expect(flowService.calls[0]?.query.maxRuns).toBe(3);
    expect(report.listed).toBe(3);
    expect(report.capped).toBe(true);
  });

  it('reports a scope Flow Service refused and sweeps the others', async () => {
    // Prepare
    const { deps, flowService } = setup();
    flowService.add({ sandboxName: 'dev' });
    flowService.failing.set(
      `${ORG_A}/prod`,
      new FlowServiceError('Flow Service GET /runs answered 503', {
        kind: 'transient',
        method: 'GET',
        path: '/runs',
        status: 503,
      }),
    );

    // Act
    const report = await runSweep(deps, { ...OPTIONS, sandboxes: ['prod', 'dev'] });

    // Assess
    expect(report.errors).toBe(1);
    expect(report.scopes[0]).toEqual({
      orgId: ORG_A,
      sandboxName: 'prod',
      listed: 0,
      alreadyHandled: 0,
      published: 0,
      error: 'Flow Service GET /runs answered 503',
      transient: true,
    });
    expect(report.published.map((run) => run.sandboxName)).toEqual(['dev']);
  });

  it('stops a scope whose publish fails, keeping its runs for the next sweep', async () => {
    // Prepare
    const { deps, flowService, alerts } = setup();
    flowService.add();
    flowService.add();
    alerts.failNext();

    // Act
    const report = await runSweep(deps, OPTIONS);

    // Assess
    expect(report.published).toEqual([]);
    expect(report.errors).toBe(1);
    expect(report.scopes[0]).toMatchObject({ listed: 2, published: 0, transient: true });
  });

  it('stops starting work at the deadline', async () => {
    // Prepare
    const { deps, flowService, clock } = setup();
    flowService.add();

    // Act
    const report = await runSweep(deps, { ...OPTIONS, deadline: clock.now() });

    // Assess
    expect(report.incomplete).toBe(true);
    expect(flowService.calls).toEqual([]);
  });

  it('finds but publishes nothing in a dry run', async () => {
    // Prepare
    const { deps, flowService, alerts } = setup();
    const run = flowService.add();

    // Act
    const report = await runSweep(deps, { ...OPTIONS, dryRun: true });

    // Assess
    expect(report.dryRun).toBe(true);
    expect(report.published).toEqual([expect.objectContaining({ runId: run.id })]);
    expect(report.published[0]?.messageId).toBeUndefined();
    expect(alerts.published).toEqual([]);
  });

  it('throws when the credentials cannot be read, listing nothing', async () => {
    // Prepare
    const { deps, flowService } = setup();
    const broken: CredentialsPort = {
      forOrg: async () => null,
      all: async () => {
        throw new CredentialsError('secret aep/credentials is missing clientId', { kind: 'configuration' });
      },
    };

    // Act & Assess
    await expect(runSweep({ ...deps, credentials: broken }, OPTIONS)).rejects.toThrow(/missing clientId/);
    expect(flowService.calls).toEqual([]);
  });

  it.each<[string, Partial<SweepOptions>, RegExp]>([
    ['no sandbox', { sandboxes: [] }, /sandboxes/],
    ['a look-back over 7 days', { lookbackMs: 7 * 24 * HOUR + 1 }, /lookbackMs/],
    ['no run budget', { maxRuns: 0 }, /maxRuns/],
    ['no publish budget', { maxPublishes: 0 }, /maxPublishes/],
    ['no call rate', { maxCallsPerSecond: 0 }, /maxCallsPerSecond/],
  ])('throws a configuration error for %s', async (_name, overrides, message) => {
    // Prepare
    const { deps } = setup();

    // Act & Assess
    await expect(runSweep(deps, { ...OPTIONS, ...overrides })).rejects.toMatchObject({
      kind: 'configuration',
      message: expect.stringMatching(message),
    });
  });
});
