import { type AdminClient, createAdminClient, EmulatorAdminError } from '../../emulator/admin-client';
import { type Emulator, startEmulator } from '../../emulator/server';
import { CLIENT, callFlowService, ORG, platformHeaders, SANDBOX, tokenFor } from './support';

describe('emulator admin API through the admin client', () => {
  let emulator: Emulator;
  let admin: AdminClient;

  beforeEach(async () => {
    emulator = await startEmulator();
    admin = createAdminClient(emulator.url);
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('sets up a credential, a flow and a failed run that Flow Service then serves', async () => {
    // Act
    const credential = await admin.addCredential(CLIENT);
    const flow = await admin.addFlow({ name: 'Orders', sandboxName: SANDBOX, orgId: ORG });
    const run = await admin.addRun({ flowId: flow.id });
    const token = await tokenFor(emulator);
    const answer = await callFlowService(emulator, `/runs/${run.id}`, { headers: platformHeaders(token) });

    // Assess
    expect(credential).toEqual({ clientId: CLIENT.clientId, orgId: ORG });
    expect(JSON.stringify(credential)).not.toContain(CLIENT.clientSecret);
    expect(flow).toMatchObject({ name: 'Orders', state: 'enabled', sandboxName: SANDBOX, imsOrgId: ORG });
    expect(run).toMatchObject({ flowId: flow.id, metrics: { statusSummary: { status: 'failed' } } });
    expect(answer.body.items[0]).toEqual(run);
    expect(await admin.getRun(run.id)).toEqual(run);
    expect(await admin.getFlow(flow.id)).toMatchObject({ id: flow.id, lastRunDetails: { id: run.id } });
    expect(await admin.listFlows()).toHaveLength(1);
  });

  it('completes a re-triggered run and answers the failure alert, with its lineage', async () => {
    // Prepare
    await admin.addCredential(CLIENT);
    const flow = await admin.addFlow({ name: 'Orders', sandboxName: SANDBOX, orgId: ORG });
    const run = await admin.addRun({ flowId: flow.id });
    const token = await tokenFor(emulator);
    const created = await callFlowService(emulator, `/runs/${run.id}/action?op=re-trigger`, {
      method: 'POST',
      headers: platformHeaders(token),
    });

    // Act
    const alert = await admin.completeRun(created.body.id, {
      status: 'failed',
      errors: ['CONNECTOR-3001-500'],
    });
    const lineage = await admin.lineage(created.body.id);
    const runs = await admin.listRuns({ flowId: flow.id });

    // Assess
    expect(alert).toMatchObject({
      id: created.body.id,
      flowId: flow.id,
      flowName: 'Orders',
      metrics: { statusSummary: { status: 'failed', errors: [{ code: 'CONNECTOR-3001-500' }] } },
      header: { _adobeio: { imsOrgId: ORG, eventCode: 'source_flow_run_error' } },
    });
    expect(lineage).toMatchObject({ retriggeredFrom: run.id, rootRunId: run.id });
    expect(runs.map((item) => item.id)).toEqual([created.body.id, run.id]);
  });

  it('answers a success alert for a run completed successfully', async () => {
    // Prepare
    const flow = await admin.addFlow({ sandboxName: SANDBOX, orgId: ORG });
    const run = await admin.addRun({ flowId: flow.id, status: 'inProgress' });

    // Act
    const alert = await admin.completeRun(run.id, { status: 'success' });

    // Assess
    expect(alert.metrics.statusSummary.status).toBe('success');
    expect(alert.header._adobeio.eventCode).toBe('source_flow_run_info');
    expect(alert.metrics.recordSummary.outputRecordCount).toBe(100);
  });

  it('manages faults, tokens, settings, calls and stats', async () => {
    // Prepare
    await admin.addCredential(CLIENT);
    const token = (await admin.issueToken(CLIENT.clientId)).access_token;

    // Act
    const rule = await admin.addFault({ path: '^/runs$', status: 503, times: 2 });
    const listed = await admin.faults();
    const refused = await callFlowService(emulator, '/runs', { headers: platformHeaders(token) });
    await admin.clearFaults();
    const expired = await admin.expireTokens();
    const afterExpiry = await callFlowService(emulator, '/runs', { headers: platformHeaders(token) });
    const settings = await admin.configure({ pageSize: 5 });
    const calls = await admin.calls();
    const stats = await admin.stats();

    // Assess
    expect(rule).toMatchObject({ id: expect.any(String), path: '^/runs$', status: 503, times: 2, hits: 0 });
    expect(listed).toEqual([rule]);
    expect(refused.status).toBe(503);
    expect(expired).toBe(1);
    expect(afterExpiry.body.error_code).toBe('401013');
    expect(settings.pageSize).toBe(5);
    expect(await admin.settings()).toEqual(settings);
    expect(calls.map((call) => call.status)).toEqual([503, 401]);
    expect(await admin.calls(1)).toEqual([calls[1]]);
    expect(stats.tokensMinted.total).toBe(1);
    expect(stats.faultsApplied).toBe(1);
  });

  it('resets everything', async () => {
    // Prepare
    await admin.addCredential(CLIENT);
    await admin.addFlow({ sandboxName: SANDBOX, orgId: ORG });

    // Act
    await admin.reset();

    // Assess
    expect(await admin.listFlows()).toEqual([]);
    expect((await admin.stats()).requests.total).toBe(0);
    await expect(admin.issueToken(CLIENT.clientId)).rejects.toMatchObject({ status: 404 });
  });

  it('answers undefined for an unknown run or flow', async () => {
    // Act
    const run = await admin.getRun('nope');
    const flow = await admin.getFlow('nope');

    // Assess
    expect(run).toBeUndefined();
    expect(flow).toBeUndefined();
  });

  it('rejects bad input with an EmulatorAdminError that names the problem', async () => {
    // Act
    const attempt = admin.addRun({ flowId: 'no-such-flow' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(EmulatorAdminError);
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('flow no-such-flow does not exist'),
    });
  });

  it('rejects a lineage request for an unknown run with 404', async () => {
    // Act
    const attempt = admin.lineage('nope');

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });

  it('answers 404 for an unknown admin route', async () => {
    // Act
    const response = await fetch(`${emulator.url}/__admin/nothing`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(404);
  });

  it('answers 400 for a body that is not JSON', async () => {
    // Act
    const response = await fetch(`${emulator.url}/__admin/flows`, { method: 'POST', body: '{' });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the body must be JSON' });
  });
});
