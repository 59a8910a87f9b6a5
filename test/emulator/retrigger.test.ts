import type { Emulator } from '../../emulator/server';
import type { RunObject } from '../../emulator/types';
import { readRunObject } from '../../lambda/core/run-object';
import {
  addFailedRun,
  CLIENT,
  callFlowService,
  ORG,
  platformHeaders,
  SANDBOX,
  startTestEmulator,
  tokenFor,
} from './support';

describe('emulated re-trigger: POST /runs/{id}/action', () => {
  let emulator: Emulator;
  let headers: Record<string, string>;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    headers = platformHeaders(await tokenFor(emulator));
  });

  afterEach(async () => {
    await emulator.close();
  });

  const retrigger = (runId: string, query = 'op=re-trigger', extra: Record<string, string> = {}) =>
    callFlowService(emulator, `/runs/${runId}/action?${query}`, {
      method: 'POST',
      headers: { ...headers, ...extra },
    });

  it.each(['re-trigger', 'RE_TRIGGER'])(
    'creates a new in-progress run with op=%s and answers {id, etag}',
    async (op) => {
      // Prepare
      const { flow, run } = addFailedRun(emulator);

      // Act
      const answer = await retrigger(run.id, `op=${op}`);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: expect.any(String), etag: expect.stringMatching(/^".+"$/) });
      expect(answer.body.id).not.toBe(run.id);
      const created = emulator.state.getRun(answer.body.id) as RunObject;
      expect(created).toMatchObject({
        flowId: flow.id,
        sandboxName: SANDBOX,
        imsOrgId: ORG,
        etag: answer.body.etag,
        createdClient: CLIENT.clientId,
        metrics: { statusSummary: { status: 'inProgress' } },
        activities: [],
        providerRefId: expect.stringMatching(new RegExp(`^M-${flow.id}-incremental-0:[0-9a-f-]{36}$`)),
      });
      expect(created.createdAt).toBeGreaterThanOrEqual(run.createdAt);
      expect(emulator.state.getRun(run.id)?.metrics.statusSummary.status).toBe('failed');
    },
  );

  it('answers the new run object with eTag when retriggerResponse is run', async () => {
    // Prepare
    emulator.state.configure({ retriggerResponse: 'run' });
    const { run } = addFailedRun(emulator);

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      flowId: run.flowId,
      metrics: { statusSummary: { status: 'inProgress' } },
    });
    expect(answer.body.eTag).toMatch(/^".+"$/);
    expect(answer.body.etag).toBeUndefined();
    expect(readRunObject(answer.body)).toMatchObject({ id: answer.body.id, etag: answer.body.eTag });
  });

  it('records where the new run came from, without showing parentFlowRunId', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);

    // Act
    const first = await retrigger(run.id);
    emulator.state.completeRun(first.body.id, { status: 'failed' });
    const second = await retrigger(first.body.id);
    const fetched = await callFlowService(emulator, `/runs/${second.body.id}`, { headers });

    // Assess
    expect(emulator.state.lineage(second.body.id)).toEqual({
      runId: second.body.id,
      retriggeredFrom: first.body.id,
      rootRunId: run.id,
      chain: [run.id, first.body.id, second.body.id],
      retriggeredAs: [],
    });
    expect(emulator.state.lineage(run.id).retriggeredAs).toEqual([first.body.id]);
    expect(fetched.body.items[0].parentFlowRunId).toBeUndefined();
    expect(emulator.state.stats().retriggers).toEqual({
      total: 2,
      bySourceRun: { [run.id]: 1, [first.body.id]: 1 },
    });
  });

  it('shows parentFlowRunId with exposeParentRunId', async () => {
    // Prepare
    await emulator.close();
    emulator = await startTestEmulator({ exposeParentRunId: true });
    headers = platformHeaders(await tokenFor(emulator));
    const { run } = addFailedRun(emulator);

    // Act
    const created = await retrigger(run.id);
    const fetched = await callFlowService(emulator, `/runs/${created.body.id}`, { headers });

    // Assess
    expect(fetched.body.items[0].parentFlowRunId).toBe(run.id);
    expect(readRunObject(fetched.body.items[0])?.parentFlowRunId).toBe(run.id);
  });

  it('re-triggers a successful run that ingested no records', async () => {
    // Prepare
    const flow = emulator.state.addFlow({ sandboxName: SANDBOX, orgId: ORG });
    const run = emulator.state.addRun({ flowId: flow.id, status: 'success', ingestedRecords: 0 });

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('accepts a matching If-Match, quoted as sent', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);

    // Act
    const answer = await retrigger(run.id, 'op=re-trigger', { 'if-match': run.etag as string });

    // Assess
    expect(answer.status).toBe(200);
  });

  it('rejects a stale If-Match with 412 FLOW-1404-412 and creates nothing', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);

    // Act
    const answer = await retrigger(run.id, 'op=re-trigger', {
      'if-match': '"00000000-0000-0200-0000-000000000000"',
    });

    // Assess
    expect(answer.status).toBe(412);
    expect(answer.body).toMatchObject({ type: 'https://ns.adobe.com/aep/errors/FLOW-1404-412', status: 412 });
    expect(emulator.state.stats().retriggers.total).toBe(0);
  });

  it('rejects an unknown run with 404 FLOW-1101-404', async () => {
    // Act
    const answer = await retrigger('9d2b0c4e-0000-4000-8000-000000000000');

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1101-404');
  });

  it('rejects a run of another sandbox with 404', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);

    // Act
    const answer = await retrigger(run.id, 'op=re-trigger', { 'x-sandbox-name': 'dev' });

    // Assess
    expect(answer.status).toBe(404);
  });

  it('rejects a run of a disabled flow with 400 FLOW-1388-400', async () => {
    // Prepare
    const { flow, run } = addFailedRun(emulator, { state: 'disabled' });

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      type: 'https://ns.adobe.com/aep/errors/FLOW-1388-400',
      title: 'Bad Request',
      status: 400,
      report: {
        'detailed-message': `The flow=${flow.id} is in state=disabled and cannot be re-triggered. The flow must be in enabled state for re-triggering.`,
      },
    });
  });

  it('rejects a run of a streaming flow with 400 FLOW-1333-400', async () => {
    // Prepare
    const { run } = addFailedRun(emulator, { sourceKind: 'streaming' });

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1333-400');
    expect(answer.body.errorMessage).toContain('spec id=bc7b00d6-623a-4dfc-9fdb-f1240aeadaeb');
  });

  it.each([
    { status: 'inProgress' as const, ingestedRecords: undefined },
    { status: 'success' as const, ingestedRecords: 42 },
  ])('rejects a $status run with 400 FLOW-1387-400', async ({ status, ingestedRecords }) => {
    // Prepare
    const flow = emulator.state.addFlow({ sandboxName: SANDBOX, orgId: ORG });
    const run = emulator.state.addRun({ flowId: flow.id, status, ingestedRecords });

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1387-400');
    expect(answer.body.report['detailed-message']).toContain(
      `flowRunId=${run.id} is in an invalid state=${status}`,
    );
  });

  it.each(['op=RETRY', 'op=re_trigger', ''])(
    'rejects the action "%s" with 400 FLOW-1401-400',
    async (query) => {
      // Prepare
      const { run } = addFailedRun(emulator);

      // Act
      const answer = await retrigger(run.id, query);

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1401-400');
      expect(answer.body.report['detailed-message']).toContain('is not supported');
    },
  );

  it('re-triggers the same failed run again when asked twice (Flow Service does not deduplicate)', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);

    // Act
    const first = await retrigger(run.id);
    const second = await retrigger(run.id);

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.id).not.toBe(first.body.id);
    expect(emulator.state.lineage(run.id).retriggeredAs).toEqual([first.body.id, second.body.id]);
  });
});
