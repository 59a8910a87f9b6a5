import type { Emulator } from '../../emulator/server';
import {
  addFailedRun,
  CLIENT,
  callFlowService,
  platformHeaders,
  requestToken,
  startTestEmulator,
  tokenFor,
  tokenForm,
} from './support';

describe('emulator fault injection and observability', () => {
  let emulator: Emulator;
  let token: string;
  let headers: Record<string, string>;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    token = await tokenFor(emulator);
    headers = platformHeaders(token);
  });

  afterEach(async () => {
    await emulator.close();
  });

  const retrigger = (runId: string, signal?: AbortSignal) =>
    fetch(`${emulator.flowServiceUrl}/runs/${runId}/action?op=re-trigger`, {
      method: 'POST',
      headers,
      ...(signal ? { signal } : {}),
    });

  it('answers 429 with Retry-After the given number of times, then succeeds', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({
      method: 'POST',
      path: '^/runs/[^/]+/action',
      status: 429,
      times: 2,
      retryAfterSeconds: 3,
    });

    // Act
    const first = await retrigger(run.id);
    const second = await retrigger(run.id);
    const third = await retrigger(run.id);

    // Assess
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(await first.json()).toEqual({ error_code: '429050', message: 'Too many requests' });
    expect(second.status).toBe(429);
    expect(third.status).toBe(200);
    expect(emulator.state.stats().retriggers.total).toBe(1);
    expect(emulator.state.faults()).toEqual([]);
  });

  it('matches only the method and path of the rule', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({ method: 'POST', path: '^/runs/[^/]+/action', status: 503 });

    // Act
    const get = await callFlowService(emulator, `/runs/${run.id}`, { headers });

    // Assess
    expect(get.status).toBe(200);
    expect(emulator.state.faults()).toHaveLength(1);
  });

  it.each([
    { status: 500, code: 'FLOW-1102-500', title: 'Internal Error' },
    { status: 503, code: 'FLOW-1103-503', title: 'Service Unavailable' },
    { status: 504, code: 'FLOW-1104-504', title: 'Gateway Timeout' },
  ])('answers $status with a $code body', async ({ status, code, title }) => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({ path: '^/runs/', status });

    // Act
    const answer = await callFlowService(emulator, `/runs/${run.id}`, { headers });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ type: `https://ns.adobe.com/aep/errors/${code}`, title, status });
  });

  it('answers a given body', async () => {
    // Prepare
    emulator.state.addFault({ status: 502, body: { message: 'Bad gateway' } });

    // Act
    const answer = await callFlowService(emulator, '/runs', { headers });

    // Assess
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({ message: 'Bad gateway' });
  });

  it('keeps answering with times 0 until the faults are cleared', async () => {
    // Prepare
    emulator.state.addFault({ path: '^/runs$', status: 503, times: 0 });

    // Act
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await callFlowService(emulator, '/runs', { headers })).status);
    emulator.state.clearFaults();
    const after = await callFlowService(emulator, '/runs', { headers });

    // Assess
    expect(statuses).toEqual([503, 503, 503]);
    expect(after.status).toBe(200);
  });

  it('delays an answer by delayMs', async () => {
    // Prepare
    emulator.state.addFault({ path: '^/runs$', delayMs: 150 });
    const started = performance.now();

    // Act
    const answer = await callFlowService(emulator, '/runs', { headers });

    // Assess
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('adds the global latency to every answer', async () => {
    // Prepare
    emulator.state.configure({ latencyMs: 100 });
    const started = performance.now();

    // Act
    await callFlowService(emulator, '/runs', { headers });

    // Assess
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('creates the run yet answers 500 with applyEffect', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({ method: 'POST', path: '^/runs/[^/]+/action', status: 500, applyEffect: true });

    // Act
    const answer = await retrigger(run.id);

    // Assess
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { type: string }).type).toBe(
      'https://ns.adobe.com/aep/errors/FLOW-1102-500',
    );
    const lineage = emulator.state.lineage(run.id);
    expect(lineage.retriggeredAs).toHaveLength(1);
    expect(emulator.state.listRuns({ flowId: run.flowId })[0]?.metrics.statusSummary.status).toBe(
      'inProgress',
    );
  });

  it('creates the run and hangs past the client time-out with applyEffect and delayMs', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({
      method: 'POST',
      path: '^/runs/[^/]+/action',
      delayMs: 5_000,
      applyEffect: true,
    });

    // Act
    const attempt = retrigger(run.id, AbortSignal.timeout(200));

    // Assess
    await expect(attempt).rejects.toThrow();
    expect(emulator.state.lineage(run.id).retriggeredAs).toHaveLength(1);
  });

  it('injects faults into the IMS token endpoint', async () => {
    // Prepare
    emulator.state.addFault({ path: '^/ims/', status: 503, retryAfterSeconds: 1 });

    // Act
    const refused = await requestToken(emulator, tokenForm());
    const accepted = await requestToken(emulator, tokenForm());

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'server_error' });
    expect(accepted.status).toBe(200);
  });

  it('rejects a rule with a bad regular expression', () => {
    // Act
    const add = () => emulator.state.addFault({ path: '(', status: 500 });

    // Assess
    expect(add).toThrow(/path is not a valid regular expression/);
  });

  it('logs every call without tokens or secrets', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    await fetch(`${emulator.imsTokenUrl}?${tokenForm()}`, { method: 'POST' });

    // Act
    await callFlowService(emulator, `/runs/${run.id}`, { headers });
    await callFlowService(emulator, '/runs?property=state==failed&property=flowId==x', { headers });
    const calls = emulator.state.calls();

    // Assess
    const logged = JSON.stringify(calls);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(CLIENT.clientSecret);
    expect(calls.map((call) => call.route)).toEqual(['ims.token', 'ims.token', 'runs.get', 'runs.list']);
    expect(calls[1]?.query.client_secret).toBe('[redacted]');
    expect(calls[2]).toMatchObject({
      index: 2,
      at: expect.any(String),
      method: 'GET',
      path: `/data/foundation/flowservice/runs/${run.id}`,
      status: 200,
      sandbox: 'prod',
      org: CLIENT.orgId,
      clientId: CLIENT.clientId,
    });
    expect(calls[3]?.query).toEqual({ property: ['state==failed', 'flowId==x'] });
    expect(emulator.state.calls(3)).toHaveLength(1);
  });

  it('counts requests by route and status, tokens and applied faults', async () => {
    // Prepare
    const { run } = addFailedRun(emulator);
    emulator.state.addFault({ path: '^/runs/[^/]+$', status: 503 });

    // Act
    await callFlowService(emulator, `/runs/${run.id}`, { headers });
    await callFlowService(emulator, `/runs/${run.id}`, { headers });
    await retrigger(run.id);
    const stats = emulator.state.stats();

    // Assess
    expect(stats.requests.byRoute).toEqual({ 'ims.token': 1, 'runs.get': 2, 'runs.action': 1 });
    expect(stats.requests.byStatus).toEqual({ '200': 3, '503': 1 });
    expect(stats.requests.total).toBe(4);
    expect(stats.tokensMinted.byClient).toEqual({ [CLIENT.clientId]: 1 });
    expect(stats.faultsApplied).toBe(1);
    expect(stats.retriggers.total).toBe(1);
  });

  it('closes with a request still hanging', async () => {
    // Prepare
    emulator.state.addFault({ path: '^/runs$', delayMs: 60_000 });
    const hanging = fetch(`${emulator.flowServiceUrl}/runs`, { headers }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();

    // Act
    await emulator.close();

    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    // fetch's errors come from another realm, so check the name rather than instanceof.
    expect(await hanging).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
