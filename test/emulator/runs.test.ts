import type { Emulator } from '../../emulator/server';
import type { FlowObject, RunObject } from '../../emulator/types';
import { readRunObject } from '../../lambda/core/run-object';
import { callFlowService, ORG, platformHeaders, SANDBOX, startTestEmulator, tokenFor } from './support';

describe('emulated Flow Service runs and flows', () => {
  let emulator: Emulator;
  let headers: Record<string, string>;
  let flow: FlowObject;
  let otherFlow: FlowObject;
  /** Runs of `flow`, oldest first: failed, success, failed, inProgress, failed. */
  let runs: RunObject[];
  const base = 1_700_000_000_000;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    headers = platformHeaders(await tokenFor(emulator));
    flow = emulator.state.addFlow({ name: 'Orders from SFTP', sandboxName: SANDBOX, orgId: ORG });
    otherFlow = emulator.state.addFlow({ sandboxName: SANDBOX, orgId: ORG, source: 's3' });
    const statuses = ['failed', 'success', 'failed', 'inProgress', 'failed'] as const;
    runs = statuses.map((status, index) =>
      emulator.state.addRun({ flowId: flow.id, status, createdAt: base + index * 60_000 }),
    );
    emulator.state.addRun({ flowId: otherFlow.id, createdAt: base + 30_000 });
    const devFlow = emulator.state.addFlow({ sandboxName: 'dev', orgId: ORG });
    emulator.state.addRun({ flowId: devFlow.id, createdAt: base });
  });

  afterAll(async () => {
    await emulator.close();
  });

  const list = (query: string) => callFlowService(emulator, `/runs?${query}`, { headers });
  const ids = (items: RunObject[]) => items.map((run) => run.id);

  describe('GET /runs/{id}', () => {
    it('answers the run wrapped in items, in the documented shape', async () => {
      // Prepare
      const run = runs[0] as RunObject;

      // Act
      const answer = await callFlowService(emulator, `/runs/${run.id}`, { headers });

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ items: [run], _links: {} });
      const item = answer.body.items[0];
      expect(item).toMatchObject({
        id: run.id,
        flowId: flow.id,
        sandboxName: SANDBOX,
        imsOrgId: ORG,
        etag: expect.stringMatching(/^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{12}"$/),
        providerRefId: expect.stringMatching(new RegExp(`^M-${flow.id}-incremental-0:[0-9a-f-]{36}$`)),
        flowSpec: { id: flow.flowSpec.id, version: '1.0' },
        metrics: { statusSummary: { status: 'failed' } },
      });
      expect(item.parentFlowRunId).toBeUndefined();
    });

    it('answers a failed run the project reads as the reference 4.3 failure', async () => {
      // Act
      const answer = await callFlowService(emulator, `/runs/${runs[0]?.id}`, { headers });

      // Assess
      expect(readRunObject(answer.body.items[0])).toMatchObject({
        status: 'failed',
        errorCodes: ['CONNECTOR-1001-500', '2200'],
        etag: runs[0]?.etag,
      });
      expect(answer.body.items[0].activities[0].statusSummary.extensions.errorDetail).toContain('TimedOut');
    });

    it('answers 404 FLOW-1101-404 for an unknown run', async () => {
      // Act
      const answer = await callFlowService(emulator, '/runs/00000000-0000-0000-0000-000000000000', {
        headers,
      });

      // Assess
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        type: 'https://ns.adobe.com/aep/errors/FLOW-1101-404',
        title: 'Resource not found',
        status: 404,
        report: { id: '00000000-0000-0000-0000-000000000000', type: 'runs' },
      });
    });

    it('answers 404 for a run of another sandbox', async () => {
      // Act
      const answer = await callFlowService(emulator, `/runs/${runs[0]?.id}`, {
        headers: { ...headers, 'x-sandbox-name': 'dev' },
      });

      // Assess
      expect(answer.status).toBe(404);
    });
  });

  describe('GET /runs', () => {
    it('lists only the sandbox of the request, newest first', async () => {
      // Act
      const answer = await list('');

      // Assess
      expect(answer.status).toBe(200);
      const inSandbox = emulator.state.listRuns().filter((run) => run.sandboxName === SANDBOX);
      expect(answer.body.items).toHaveLength(inSandbox.length);
      expect(inSandbox.length).toBeLessThan(emulator.state.listRuns().length);
      const createdAts = answer.body.items.map((run: RunObject) => run.createdAt);
      expect(createdAts).toEqual([...createdAts].sort((a, b) => b - a));
      expect(answer.body.items.every((run: RunObject) => run.sandboxName === SANDBOX)).toBe(true);
      expect(answer.body._links).toEqual({});
    });

    it('filters on flowId', async () => {
      // Act
      const answer = await list(`property=flowId==${flow.id}`);

      // Assess
      expect(ids(answer.body.items)).toEqual(ids([...runs].reverse()));
    });

    it.each(['failed', 'Failed'])(
      'filters on metrics.statusSummary.status==%s, ignoring case',
      async (value) => {
        // Act
        const answer = await list(
          `property=flowId==${flow.id}&property=metrics.statusSummary.status==${value}`,
        );

        // Assess
        expect(ids(answer.body.items)).toEqual(ids([runs[4], runs[2], runs[0]] as RunObject[]));
      },
    );

    it('filters on state (the run status)', async () => {
      // Act
      const answer = await list('property=state==inProgress');

      // Assess
      expect(ids(answer.body.items)).toEqual([runs[3]?.id]);
    });

    it('filters on a list of ids', async () => {
      // Act
      const answer = await list(`property=id==${runs[1]?.id},${runs[3]?.id}`);

      // Assess
      expect(ids(answer.body.items).sort()).toEqual([runs[1]?.id, runs[3]?.id].sort());
    });

    it('filters on createdAt and startedAtUTC bounds', async () => {
      // Act
      const created = await list(`property=flowId==${flow.id}&property=createdAt>${base + 60_000}`);
      const started = await list(
        `property=flowId==${flow.id}&property=metrics.durationSummary.startedAtUTC>${base}&property=metrics.durationSummary.startedAtUTC<${base + 180_000}`,
      );

      // Assess
      expect(ids(created.body.items)).toEqual(ids([runs[4], runs[3], runs[2]] as RunObject[]));
      expect(ids(started.body.items)).toEqual(ids([runs[2], runs[1]] as RunObject[]));
    });

    it('orders oldest first with orderby=createdAt or +createdAt', async () => {
      // Act
      const plain = await list(`property=flowId==${flow.id}&orderby=createdAt`);
      const plus = await list(`property=flowId==${flow.id}&orderby=%2BcreatedAt`);
      const unencodedPlus = await list(`property=flowId==${flow.id}&orderby=+createdAt`);
      const minus = await list(`property=flowId==${flow.id}&orderby=-createdAt`);

      // Assess
      expect(ids(plain.body.items)).toEqual(ids(runs));
      expect(ids(plus.body.items)).toEqual(ids(runs));
      expect(ids(unencodedPlus.body.items)).toEqual(ids(runs));
      expect(ids(minus.body.items)).toEqual(ids([...runs].reverse()));
    });

    it('pages with a continuation token that contains = and ends with _links {}', async () => {
      // Prepare
      const seen: string[] = [];
      const hrefs: string[] = [];

      // Act
      let answer = await list(`property=flowId==${flow.id}&limit=2`);
      seen.push(...ids(answer.body.items));
      while (answer.body._links.next) {
        const href: string = answer.body._links.next.href;
        hrefs.push(href);
        const token = new URLSearchParams(href.split('?')[1]).get('continuationToken');
        answer = await list(`continuationToken=${token}`);
        seen.push(...ids(answer.body.items));
      }

      // Assess
      expect(seen).toEqual(ids([...runs].reverse()));
      expect(hrefs).toHaveLength(2);
      expect(hrefs[0]).toMatch(/^\/runs\?continuationToken=[A-Za-z0-9_-]+==$/);
      expect(answer.body).toEqual({ items: [runs[0]], _links: {} });
    });

    it('follows the next href as given, with the other parameters sent again', async () => {
      // Prepare
      const first = await list(`property=flowId==${flow.id}&limit=3`);
      const href: string = first.body._links.next.href;

      // Act
      const second = await callFlowService(emulator, `${href}&property=flowId==${flow.id}&limit=3`, {
        headers,
      });

      // Assess
      expect(ids(second.body.items)).toEqual(ids([runs[1], runs[0]] as RunObject[]));
      expect(second.body._links).toEqual({});
    });

    it('accepts a token cut at the first = (as aepp splits hrefs)', async () => {
      // Prepare
      const first = await list(`property=flowId==${flow.id}&limit=4`);
      const cut = (first.body._links.next.href as string).split('=')[1];

      // Act
      const second = await list(`continuationToken=${cut}`);

      // Assess
      expect(ids(second.body.items)).toEqual([runs[0]?.id]);
    });

    it('keeps paging stable when runs are created between pages', async () => {
      // Prepare
      const paged = emulator.state.addFlow({ sandboxName: SANDBOX, orgId: ORG });
      const [r1, r2, r3] = [1, 2, 3].map((minute) =>
        emulator.state.addRun({ flowId: paged.id, createdAt: base + minute * 60_000 }),
      ) as [RunObject, RunObject, RunObject];
      const first = await list(`property=flowId==${paged.id}&limit=2`);
      const newer = emulator.state.addRun({ flowId: paged.id, createdAt: base + 10 * 60_000 });
      const older = emulator.state.addRun({ flowId: paged.id, createdAt: base });

      // Act
      const token = new URLSearchParams((first.body._links.next.href as string).split('?')[1]).get(
        'continuationToken',
      );
      const second = await list(`continuationToken=${token}`);

      // Assess
      expect(ids(first.body.items)).toEqual([r3.id, r2.id]);
      expect(ids(second.body.items)).toEqual([r1.id, older.id]);
      expect(ids(second.body.items)).not.toContain(newer.id);
    });

    it('uses the pageSize option as the default limit', async () => {
      // Prepare
      emulator.state.configure({ pageSize: 2 });

      // Act
      const answer = await list(`property=flowId==${flow.id}`);
      emulator.state.configure({ pageSize: 50 });

      // Assess
      expect(answer.body.items).toHaveLength(2);
      expect(answer.body._links.next.href).toContain('continuationToken=');
    });

    it('counts the matching runs with count=true', async () => {
      // Act
      const answer = await list(
        `property=flowId==${flow.id}&property=metrics.statusSummary.status==failed&count=true`,
      );

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ count: 3 });
    });

    it('rejects count with limit with 400 FLOW-1401-400', async () => {
      // Act
      const answer = await list('count=true&limit=5');

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1401-400');
      expect(answer.body.report['detailed-message']).toContain(
        'The limit and count parameters cannot be given together',
      );
    });

    it.each(['0', '1001', 'ten'])('rejects limit=%s with 400', async (limit) => {
      // Act
      const answer = await list(`limit=${limit}`);

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body.title).toBe('Invalid request');
    });

    it('accepts limit=1000', async () => {
      // Act
      const answer = await list('limit=1000');

      // Assess
      expect(answer.status).toBe(200);
    });

    it.each(['flowId', 'createdAt>yesterday', 'orderby'])(
      'rejects the property filter %s with 400',
      async (expr) => {
        // Act
        const answer = await list(`property=${encodeURIComponent(expr)}`);

        // Assess
        expect(answer.status).toBe(400);
      },
    );

    it('rejects a continuation token it did not issue with 400', async () => {
      // Act
      const answer = await list('continuationToken=bm90LWEtdG9rZW4=');

      // Assess
      expect(answer.status).toBe(400);
    });
  });

  describe('GET /flows/{id}', () => {
    it('answers the flow wrapped in items, in the documented shape', async () => {
      // Act
      const answer = await callFlowService(emulator, `/flows/${flow.id}`, { headers });

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body.items).toHaveLength(1);
      expect(answer.body.items[0]).toMatchObject({
        id: flow.id,
        name: 'Orders from SFTP',
        state: 'enabled',
        etag: expect.stringMatching(/^".+"$/),
        flowSpec: { id: '9753525b-82c7-4dce-8a9b-5ccfce2b9876', version: '1.0' },
        inheritedAttributes: {
          sourceConnections: [
            { connectionSpec: { id: 'b7bf2577-4520-42c9-bae9-cad01560f7bc', version: '1.0' } },
          ],
          targetConnections: [
            { connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' } },
          ],
        },
        scheduleParams: { frequency: 'hour' },
        runs: `/runs?property=flowId==${flow.id}`,
        lastRunDetails: { id: runs[4]?.id, state: 'failed' },
      });
    });

    it('answers 404 FLOW-1101-404 for an unknown flow', async () => {
      // Act
      const answer = await callFlowService(emulator, '/flows/no-such-flow', { headers });

      // Assess
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        type: 'https://ns.adobe.com/aep/errors/FLOW-1101-404',
        report: { type: 'flows', id: 'no-such-flow' },
      });
    });

    it('answers 404 for a flow of another sandbox', async () => {
      // Act
      const answer = await callFlowService(emulator, `/flows/${flow.id}`, {
        headers: { ...headers, 'x-sandbox-name': 'dev' },
      });

      // Assess
      expect(answer.status).toBe(404);
    });
  });

  it('answers 405 for a method the route does not take', async () => {
    // Act
    const answer = await callFlowService(emulator, `/runs/${runs[0]?.id}`, { method: 'DELETE', headers });

    // Assess
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
  });
});
