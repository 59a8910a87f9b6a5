import { createFlowService, type FlowServiceOptions } from '../../../lambda/adapters/flow-service';
import { createTokenProvider } from '../../../lambda/adapters/ims';
import { FlowServiceError, REFUSAL_CODES } from '../../../lambda/core/errors';
import type { Credential, RunScope } from '../../../lambda/core/model';
import type { CredentialsPort, TokenPort } from '../../../lambda/core/ports';
import { type LoopbackServer, type Reply, startLoopbackServer } from './loopback-server';

const CLIENT_SECRET = 'p8e-Cl1ent-S3cret-value';
const ORG = '0A1B2C3D4E5F@AdobeOrg';
const RUN_ID = '4fb0418e-1804-45d6-8d56-dd51f05c0baf';
const NEW_RUN_ID = '3fb0418e-1804-45d6-8d56-dd51f05c0baf';
const FLOW_ID = 'c9cef9cb-c934-4467-8ef9-cbc934546741';
const credential: Credential = {
  clientId: 'client-abc',
  clientSecret: CLIENT_SECRET,
  orgId: ORG,
  scopes: ['openid', 'AdobeID'],
};
const scope: RunScope = { orgId: ORG, sandboxName: 'prod' };
const RETRIGGER_PATH = `/runs/${RUN_ID}/action?op=re-trigger`;

let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

/** Tokens `access-token-1`, `-2`, ...: a new one after each invalidate. */
function fakeTokens() {
  const counts = { getToken: 0, invalidate: 0 };
  let generation = 1;
  const port: TokenPort = {
    getToken: async () => {
      counts.getToken++;
      return `access-token-${generation}`;
    },
    invalidate: () => {
      counts.invalidate++;
      generation++;
    },
  };
  return { port, counts };
}

const credentials: CredentialsPort = {
  forOrg: async (orgId) => (orgId.toLowerCase() === ORG.toLowerCase() ? credential : null),
  all: async () => [credential],
};

function client(options: Partial<FlowServiceOptions> = {}) {
  const clock = { t: 1_700_000_000_000, waits: [] as number[] };
  const tokens = fakeTokens();
  const flowService = createFlowService({
    baseUrl: `${server.url}/data/foundation/flowservice`,
    credentials,
    tokens: tokens.port,
    now: () => clock.t,
    sleep: async (ms) => {
      clock.waits.push(ms);
      clock.t += ms;
    },
    random: () => 0.5,
    ...options,
  });
  return { flowService, clock, tokens: tokens.counts };
}

function runObject(id: string, status = 'failed', extra: Record<string, unknown> = {}) {
  return {
    id,
    flowId: FLOW_ID,
    createdAt: 1596656079576,
    sandboxName: 'prod',
    etag: '"b8003af1-0000-0200-0000-5f2b09f10000"',
    metrics: {
      statusSummary: { status, errors: [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] },
    },
    ...extra,
  };
}

function flowError(status: number, code: string, message: string): Reply {
  return {
    status,
    body: {
      type: `https://ns.adobe.com/aep/errors/${code}`,
      title: 'Bad Request',
      status,
      report: { 'detailed-message': message },
      errorMessage: message,
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<FlowServiceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlowServiceError);
    const flowError = error as FlowServiceError;
    expect(flowError.message).not.toMatch(/access-token-\d/);
    expect(flowError.message).not.toContain(CLIENT_SECRET);
    return flowError;
  }
  throw new Error('expected a rejection');
}

function posts(): number {
  return server.requests.filter((request) => request.method === 'POST').length;
}

describe('createFlowService: requests', () => {
  it('gets a run with Adobe headers and unwraps items', async () => {
    // Prepare
    server.reply({ status: 200, body: { items: [runObject(RUN_ID)], _links: {} } });
    const { flowService } = client();

    // Act
    const run = await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(run).toMatchObject({
      id: RUN_ID,
      flowId: FLOW_ID,
      status: 'failed',
      errorCodes: ['CONNECTOR-1001-500'],
    });
    const request = server.requests[0]!;
    expect(request.method).toBe('GET');
    expect(request.url).toBe(`/data/foundation/flowservice/runs/${RUN_ID}`);
    expect(request.headers).toMatchObject({
      authorization: 'Bearer access-token-1',
      'x-api-key': 'client-abc',
      'x-gw-ims-org-id': ORG,
      'x-sandbox-name': 'prod',
      accept: 'application/json',
    });
  });

  it('reads a bare run object too', async () => {
    // Prepare
    server.reply({ status: 200, body: runObject(RUN_ID, 'success') });
    const { flowService } = client();

    // Act
    const run = await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(run.status).toBe('success');
  });

  it('throws a permanent error when a run answer holds no run', async () => {
    // Prepare
    server.reply({ status: 200, body: { items: [] } });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID));

    // Assess
    expect(error.kind).toBe('permanent');
  });

  it('gets a flow and reads its id, name and state', async () => {
    // Prepare
    server.reply({
      status: 200,
      body: { items: [{ id: FLOW_ID, name: 'S3 daily', state: 'enabled', etag: '"x"' }] },
    });
    const { flowService } = client();

    // Act
    const flow = await flowService.getFlow(scope, FLOW_ID);

    // Assess
    expect(flow).toEqual({ id: FLOW_ID, name: 'S3 daily', state: 'enabled' });
    expect(server.requests[0]!.url).toBe(`/data/foundation/flowservice/flows/${FLOW_ID}`);
  });

  it('posts the re-trigger with no body and reads the tutorial answer', async () => {
    // Prepare
    server.reply({ status: 200, body: { id: NEW_RUN_ID, etag: '"1100c53e-0000-0200-0000-627138980000"' } });
    const { flowService } = client();

    // Act
    const result = await flowService.retrigger(scope, RUN_ID);

    // Assess
    expect(result).toEqual({ runId: NEW_RUN_ID, etag: '"1100c53e-0000-0200-0000-627138980000"' });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/data/foundation/flowservice${RETRIGGER_PATH}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe('Bearer access-token-1');
    expect(request.body).toBe('');
  });

  it('reads the spec answer: the run wrapped in items, with eTag', async () => {
    // Prepare
    const { etag: _etag, ...run } = runObject(NEW_RUN_ID, 'inProgress');
    server.reply({ status: 201, body: { items: [{ ...run, eTag: '"spec-etag"' }] } });
    const { flowService } = client();

    // Act
    const result = await flowService.retrigger(scope, RUN_ID);

    // Assess
    expect(result).toEqual({ runId: NEW_RUN_ID, etag: '"spec-etag"' });
  });

  it('accepts any 2xx and a missing etag', async () => {
    // Prepare
    server.reply({ status: 202, body: { id: NEW_RUN_ID } });
    const { flowService } = client();

    // Act
    const result = await flowService.retrigger(scope, RUN_ID);

    // Assess
    expect(result).toEqual({ runId: NEW_RUN_ID, etag: undefined });
  });

  it('throws a permanent, ambiguous error when a 2xx re-trigger answer has no id', async () => {
    // Prepare
    server.reply({ status: 200, body: { status: 'ok' } });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'permanent', ambiguous: true, method: 'POST', path: RETRIGGER_PATH });
  });

  it('throws a configuration error for an org without a credential, sending nothing', async () => {
    // Prepare
    const { flowService } = client();

    // Act
    const error = await rejection(
      flowService.getRun({ orgId: 'OTHER@AdobeOrg', sandboxName: 'prod' }, RUN_ID),
    );

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('no credential for org OTHER@AdobeOrg');
    expect(server.requests).toHaveLength(0);
  });

  it.each(['../flows/x', 'a/b', '', 'run id', `${RUN_ID}?op=delete`])(
    'throws a permanent error for the unsafe id %j, sending nothing',
    async (badId) => {
      // Prepare
      const { flowService } = client();

      // Act
      const errors = await Promise.all([
        rejection(flowService.getRun(scope, badId)),
        rejection(flowService.retrigger(scope, badId)),
        rejection(flowService.getFlow(scope, badId)),
        rejection(flowService.listRuns(scope, { flowId: badId })),
      ]);

      // Assess
      expect(errors.map((error) => error.kind)).toEqual(['permanent', 'permanent', 'permanent', 'permanent']);
      expect(server.requests).toHaveLength(0);
    },
  );

  it('throws a configuration error at creation for a base URL that is not absolute', () => {
    // Act
    const create = () =>
      createFlowService({ baseUrl: 'platform.adobe.io/flowservice', credentials, tokens: fakeTokens().port });

    // Assess
    expect(create).toThrow(
      expect.objectContaining({
        kind: 'configuration',
        message: expect.stringContaining('FLOW_SERVICE_URL'),
      }),
    );
  });

  it('throws a permanent error for an unsafe sandbox name, sending nothing', async () => {
    // Prepare
    const { flowService } = client();

    // Act
    const error = await rejection(
      flowService.getRun({ orgId: ORG, sandboxName: 'prod\r\nx-evil: 1' }, RUN_ID),
    );

    // Assess
    expect(error.kind).toBe('permanent');
    expect(server.requests).toHaveLength(0);
  });
});

describe('createFlowService: 401 and token refresh', () => {
  it('refreshes the token once on 401 and repeats the GET', async () => {
    // Prepare
    server.reply(
      { status: 401, body: { error_code: '401013', message: 'Oauth token is not valid' } },
      { status: 200, body: { items: [runObject(RUN_ID)] } },
    );
    const { flowService, tokens } = client();

    // Act
    const run = await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(run.id).toBe(RUN_ID);
    expect(tokens.invalidate).toBe(1);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer access-token-1',
      'Bearer access-token-2',
    ]);
  });

  it('repeats a re-trigger POST refused with 401 once', async () => {
    // Prepare
    server.reply({ status: 401, body: { error_code: '401013' } }, { status: 200, body: { id: NEW_RUN_ID } });
    const { flowService } = client();

    // Act
    const result = await flowService.retrigger(scope, RUN_ID);

    // Assess
    expect(result.runId).toBe(NEW_RUN_ID);
    expect(posts()).toBe(2);
  });

  it('throws a configuration error when the fresh token gets 401 too', async () => {
    // Prepare
    server.reply({ status: 401, body: { error_code: '401013', message: 'Oauth token is not valid' } });
    const { flowService, tokens } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'configuration', status: 401, code: '401013', ambiguous: false });
    expect(tokens.invalidate).toBe(1);
    expect(posts()).toBe(2);
  });

  it('wires the real token provider: 50 concurrent calls mint one token', async () => {
    // Prepare
    server.handle((request) =>
      request.path === '/ims/token/v3'
        ? { status: 200, body: { access_token: 'access-token-real', expires_in: 86399 } }
        : { status: 200, body: { items: [runObject(RUN_ID)] } },
    );
    const flowService = createFlowService({
      baseUrl: `${server.url}/data/foundation/flowservice`,
      credentials,
      tokens: createTokenProvider({ tokenUrl: `${server.url}/ims/token/v3` }),
    });

    // Act
    await Promise.all(Array.from({ length: 50 }, () => flowService.getRun(scope, RUN_ID)));

    // Assess
    const mints = server.requests.filter((request) => request.path === '/ims/token/v3');
    expect(mints).toHaveLength(1);
    expect(server.requests).toHaveLength(51);
  });
});

describe('createFlowService: GET retries', () => {
  it.each([429, 500, 502, 503, 504])('retries a GET answered %i', async (status) => {
    // Prepare
    server.reply(
      { status, body: '<html>busy</html>' },
      { status: 200, body: { items: [runObject(RUN_ID)] } },
    );
    const { flowService, clock } = client();

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(server.requests).toHaveLength(2);
    expect(clock.waits).toEqual([250]);
  });

  it('backs off exponentially with full jitter', async () => {
    // Prepare
    server.reply({ status: 503 }, { status: 503 }, { status: 503 }, { status: 200, body: runObject(RUN_ID) });
    const { flowService, clock } = client({ random: () => 0.999 });

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(clock.waits).toEqual([499, 999, 1998]);
  });

  it('honours Retry-After in seconds', async () => {
    // Prepare
    server.reply(
      {
        status: 429,
        headers: { 'retry-after': '2' },
        body: { error_code: '429050', message: 'Too many requests' },
      },
      { status: 200, body: runObject(RUN_ID) },
    );
    const { flowService, clock } = client();

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(clock.waits).toEqual([2000]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    // Prepare
    const { flowService, clock } = client();
    const at = new Date(clock.t + 7000).toUTCString();
    server.reply({ status: 503, headers: { 'retry-after': at } }, { status: 200, body: runObject(RUN_ID) });

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(clock.waits).toHaveLength(1);
    expect(clock.waits[0]).toBeGreaterThan(6000);
    expect(clock.waits[0]).toBeLessThanOrEqual(7000);
  });

  it('caps Retry-After at maxRetryAfterMs', async () => {
    // Prepare
    server.reply(
      { status: 429, headers: { 'retry-after': '3600' } },
      { status: 200, body: runObject(RUN_ID) },
    );
    const { flowService, clock } = client({ maxRetryAfterMs: 1500 });

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(clock.waits).toEqual([1500]);
  });

  it('throws a transient error after getRetries', async () => {
    // Prepare
    server.reply(flowError(503, 'FLOW-1103-503', 'Service Unavailable. Please try again.'));
    const { flowService } = client({ getRetries: 2 });

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', status: 503, code: 'FLOW-1103-503', ambiguous: false });
    expect(server.requests).toHaveLength(3);
  });

  it('gives up at once when the next wait would cross the deadline', async () => {
    // Prepare
    server.reply({ status: 429, headers: { 'retry-after': '5' } }, { status: 200, body: runObject(RUN_ID) });
    const { flowService, clock } = client();

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID, { deadline: clock.t + 3000 }));

    // Assess
    expect(error.kind).toBe('transient');
    expect(error.status).toBe(429);
    expect(clock.waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the deadline has passed', async () => {
    // Prepare
    const { flowService, clock } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID, { deadline: clock.t }));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', ambiguous: false });
    expect(server.requests).toHaveLength(0);
  });

  it('retries a GET that timed out', async () => {
    // Prepare
    server.reply('hang', { status: 200, body: runObject(RUN_ID) });
    const { flowService } = client({ timeoutMs: 100 });

    // Act
    const run = await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(run.id).toBe(RUN_ID);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a GET that lost its connection', async () => {
    // Prepare
    server.reply('drop', { status: 200, body: runObject(RUN_ID) });
    const { flowService } = client();

    // Act
    await flowService.getRun(scope, RUN_ID);

    // Assess
    expect(server.requests).toHaveLength(2);
  });

  it('cuts the attempt timeout to the time left before the deadline', async () => {
    // Prepare: with the 60 s timeout uncut, this test would outlive its own 10 s limit.
    server.reply('hang');
    const { flowService } = client({ timeoutMs: 60_000, now: Date.now });

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID, { deadline: Date.now() + 200 }));

    // Assess
    expect(error.kind).toBe('transient');
  }, 10_000);
});

describe('createFlowService: the re-trigger POST', () => {
  it.each([429, 503])('retries a POST answered %i, which was not processed', async (status) => {
    // Prepare
    server.reply({ status, headers: { 'retry-after': '1' } }, { status: 200, body: { id: NEW_RUN_ID } });
    const { flowService, clock } = client();

    // Act
    const result = await flowService.retrigger(scope, RUN_ID);

    // Assess
    expect(result.runId).toBe(NEW_RUN_ID);
    expect(posts()).toBe(2);
    expect(clock.waits).toEqual([1000]);
  });

  it('throws a transient, unambiguous error when 429 outlasts postRetries', async () => {
    // Prepare
    server.reply({ status: 429, body: { error_code: '429050', message: 'Too many requests' } });
    const { flowService } = client({ postRetries: 2 });

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', status: 429, code: '429050', ambiguous: false });
    expect(posts()).toBe(3);
  });

  it.each([500, 502, 504])('never repeats a POST answered %i: it may have created a run', async (status) => {
    // Prepare
    server.reply(flowError(status, `FLOW-1102-${status}`, 'Internal Error'), {
      status: 200,
      body: { id: NEW_RUN_ID },
    });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', status, ambiguous: true });
    expect(error.message).toContain('may have been created');
    expect(posts()).toBe(1);
  });

  it('never repeats a POST that timed out', async () => {
    // Prepare
    server.reply('hang', { status: 200, body: { id: NEW_RUN_ID } });
    const { flowService } = client({ timeoutMs: 100 });

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', ambiguous: true, method: 'POST', path: RETRIGGER_PATH });
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('may have been created');
    expect(posts()).toBe(1);
  });

  it('never repeats a POST that lost its connection', async () => {
    // Prepare
    server.reply('drop', { status: 200, body: { id: NEW_RUN_ID } });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'transient', ambiguous: true });
    expect(posts()).toBe(1);
  });
});

describe('createFlowService: error mapping', () => {
  it.each(Object.keys(REFUSAL_CODES))(
    'maps %s to refused, with the code and Adobe’s message',
    async (code) => {
      // Prepare
      const detail = `The flow=${FLOW_ID} is in state=disabled and cannot be re-triggered.`;
      server.reply(flowError(400, code, detail));
      const { flowService } = client();

      // Act
      const error = await rejection(flowService.retrigger(scope, RUN_ID));

      // Assess
      expect(error).toMatchObject({ kind: 'refused', status: 400, code, ambiguous: false });
      expect(error.message).toContain(
        `Flow Service POST ${RETRIGGER_PATH} answered 400 ${code}: ${detail.replace(/\.$/, '')}; Adobe refuses`,
      );
      expect(posts()).toBe(1);
    },
  );

  it('maps 403 to configuration, with the gateway code', async () => {
    // Prepare
    server.reply({ status: 403, body: { error_code: '403027', message: 'User region is missing' } });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'configuration', status: 403, code: '403027' });
    expect(error.message).toContain('User region is missing');
    expect(server.requests).toHaveLength(1);
  });

  it('maps 404 to permanent', async () => {
    // Prepare
    server.reply(flowError(404, 'FLOW-1101-404', `The requested runs resource ${RUN_ID} is not found.`));
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'permanent', status: 404, code: 'FLOW-1101-404', method: 'GET' });
    expect(error.message).toContain(`Flow Service GET /runs/${RUN_ID} answered 404 FLOW-1101-404`);
    expect(server.requests).toHaveLength(1);
  });

  it('maps another 400 to permanent', async () => {
    // Prepare
    server.reply(flowError(400, 'FLOW-1401-400', 'The provided flow run action=x is not supported.'));
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.retrigger(scope, RUN_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'permanent', code: 'FLOW-1401-400', ambiguous: false });
  });

  it('tolerates an HTML error page', async () => {
    // Prepare
    server.reply({ status: 400, body: '<html><body>Bad Request</body></html>' });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.getFlow(scope, FLOW_ID));

    // Assess
    expect(error).toMatchObject({ kind: 'permanent', status: 400, code: undefined });
    expect(error.message).not.toContain('<html>');
  });

  it('keeps the token out of the message even when the server echoes it', async () => {
    // Prepare
    server.reply({ status: 400, body: { message: 'bad header Authorization: Bearer access-token-1' } });
    const { flowService } = client();

    // Act
    const error = await rejection(flowService.getRun(scope, RUN_ID));

    // Assess
    expect(error.message).toContain('[redacted]');
  });
});

describe('createFlowService: listRuns', () => {
  it('sends only the filters asked for', async () => {
    // Prepare
    server.reply({ status: 200, body: { items: [], _links: {} } });
    const { flowService } = client();

    // Act
    await flowService.listRuns(scope, { flowId: FLOW_ID });
    await flowService.listRuns(scope, { flowId: FLOW_ID, status: 'failed', createdAfter: 1_700_000_000_000 });

    // Assess
    const [first, second] = server.requests;
    expect(first!.path).toBe('/data/foundation/flowservice/runs');
    expect(first!.query.getAll('property')).toEqual([`flowId==${FLOW_ID}`]);
    expect(first!.query.get('orderby')).toBe('-createdAt');
    expect(first!.query.get('limit')).toBe('100');
    expect(second!.query.getAll('property')).toEqual([
      `flowId==${FLOW_ID}`,
      'metrics.statusSummary.status==failed',
      'createdAt>1699999999999',
    ]);
  });

  it('follows next links, passing back a token that holds = and +', async () => {
    // Prepare
    const token = 'eyJhIjoxfQ==+abc/def=';
    server.handle((request) =>
      request.query.get('continuationToken') === token
        ? { status: 200, body: { items: [runObject('run-3')], _links: {} } }
        : {
            status: 200,
            body: {
              items: [runObject('run-1'), runObject('run-2')],
              _links: { next: { href: `/runs?continuationToken=${encodeURIComponent(token)}` } },
            },
          },
    );
    const { flowService } = client();

    // Act
    const runs = await flowService.listRuns(scope, { flowId: FLOW_ID });

    // Assess
    expect(runs.map((run) => run.id)).toEqual(['run-1', 'run-2', 'run-3']);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.query.get('continuationToken')).toBe(token);
    expect(server.requests[1]!.query.getAll('property')).toEqual([`flowId==${FLOW_ID}`]);
  });

  it('stops when a page repeats a token', async () => {
    // Prepare
    server.reply({
      status: 200,
      body: { items: [runObject('run-1')], _links: { next: { href: '/runs?continuationToken=same' } } },
    });
    const { flowService } = client();

    // Act
    const runs = await flowService.listRuns(scope, { flowId: FLOW_ID });

    // Assess
    expect(server.requests).toHaveLength(2);
    expect(runs).toHaveLength(2);
  });

  it('stops after the page cap when every page has a new token', async () => {
    // Prepare
    let page = 0;
    server.handle(() => {
      page++;
      return {
        status: 200,
        body: { items: [], _links: { next: { href: `/runs?continuationToken=t${page}` } } },
      };
    });
    const { flowService } = client();

    // Act
    const runs = await flowService.listRuns(scope, { flowId: FLOW_ID });

    // Assess
    expect(runs).toEqual([]);
    expect(server.requests).toHaveLength(100);
  });

  it('stops at maxRuns', async () => {
    // Prepare
    server.reply({
      status: 200,
      body: {
        items: [runObject('run-1'), runObject('run-2'), runObject('run-3')],
        _links: { next: { href: '/runs?continuationToken=more' } },
      },
    });
    const { flowService } = client();

    // Act
    const runs = await flowService.listRuns(scope, { flowId: FLOW_ID, maxRuns: 2 });

    // Assess
    expect(runs.map((run) => run.id)).toEqual(['run-1', 'run-2']);
    expect(server.requests).toHaveLength(1);
  });
});
