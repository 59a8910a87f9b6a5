import type { Emulator } from '../../emulator/server';
import {
  addFailedRun,
  CLIENT,
  callFlowService,
  platformHeaders,
  startTestEmulator,
  tokenFor,
} from './support';

describe('emulated platform gateway checks', () => {
  let emulator: Emulator;
  let token: string;
  let runId: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    emulator.state.addCredential({
      clientId: 'other-client',
      clientSecret: 'other-secret',
      orgId: 'OTHER@AdobeOrg',
    });
    token = await tokenFor(emulator);
    runId = addFailedRun(emulator).run.id;
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('answers a request with every header', async () => {
    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, { headers: platformHeaders(token) });

    // Assess
    expect(answer.status).toBe(200);
  });

  it.each([
    {
      name: 'no Authorization header',
      change: (h: Record<string, string>) => delete h.authorization,
      status: 403,
      body: { error_code: '403010', message: 'Oauth token is missing.' },
    },
    {
      name: 'a non-Bearer Authorization header',
      change: (h: Record<string, string>) => {
        h.authorization = 'Basic abc';
      },
      status: 403,
      body: { error_code: '403010', message: 'Oauth token is missing.' },
    },
    {
      name: 'an unknown token',
      change: (h: Record<string, string>) => {
        h.authorization = 'Bearer not-a-token';
      },
      status: 401,
      body: { error_code: '401013', message: 'Oauth token is not valid' },
    },
    {
      name: 'no x-api-key',
      change: (h: Record<string, string>) => delete h['x-api-key'],
      status: 403,
      body: { error_code: '403000', message: 'Api Key is required' },
    },
    {
      name: "an x-api-key that is not the token's client",
      change: (h: Record<string, string>) => {
        h['x-api-key'] = 'other-client';
      },
      status: 403,
      body: { error_code: '403003', message: 'Api Key is invalid' },
    },
    {
      name: 'no x-gw-ims-org-id',
      change: (h: Record<string, string>) => delete h['x-gw-ims-org-id'],
      status: 400,
      body: { error_code: '400003', message: 'Missing header' },
    },
  ])('rejects $name with $status', async ({ change, status, body }) => {
    // Prepare
    const headers: Record<string, string> = platformHeaders(token);
    change(headers);

    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, { headers });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual(body);
  });

  it("rejects an org that is not the token's with 403 FLOW-2118-403", async () => {
    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, {
      headers: { ...platformHeaders(token), 'x-gw-ims-org-id': 'OTHER@AdobeOrg' },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({
      type: 'https://ns.adobe.com/aep/errors/FLOW-2118-403',
      title: 'Forbidden',
      status: 403,
      report: { 'detailed-message': expect.stringContaining('OTHER@AdobeOrg') },
    });
  });

  it('rejects a request without x-sandbox-name with 400 FLOW-2105-400 in the documented error shape', async () => {
    // Prepare
    const { 'x-sandbox-name': _, ...headers } = platformHeaders(token);

    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, { headers });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      type: 'https://ns.adobe.com/aep/errors/FLOW-2105-400',
      title: 'Bad Request',
      status: 400,
      report: {
        'detailed-message': expect.stringContaining('x-sandbox-name'),
        'request-id': expect.any(String),
      },
      errorMessage: expect.stringContaining('x-sandbox-name'),
      errorDetails: expect.stringContaining('x-sandbox-name'),
    });
  });

  it('checks the token before the other headers', async () => {
    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, {
      headers: { authorization: 'Bearer nope' },
    });

    // Assess
    expect(answer.body.error_code).toBe('401013');
  });

  it('answers 401013 once the tokens are expired, and a new token works', async () => {
    // Prepare
    const old = await tokenFor(emulator);
    emulator.state.expireTokens();
    const fresh = await tokenFor(emulator);

    // Act
    const refused = await callFlowService(emulator, `/runs/${runId}`, { headers: platformHeaders(old) });
    const accepted = await callFlowService(emulator, `/runs/${runId}`, { headers: platformHeaders(fresh) });

    // Assess
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error_code: '401013', message: 'Oauth token is not valid' });
    expect(accepted.status).toBe(200);
    token = fresh;
  });

  it('answers 401013 for a token past its lifetime', async () => {
    // Prepare
    const shortLived = await startTestEmulator({ tokenLifetimeSeconds: 1 });
    try {
      const shortToken = await tokenFor(shortLived);
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 1500);

      // Act
      const answer = await callFlowService(shortLived, '/runs', { headers: platformHeaders(shortToken) });
      clock.mockRestore();

      // Assess
      expect(answer.status).toBe(401);
      expect(answer.body.error_code).toBe('401013');
    } finally {
      await shortLived.close();
    }
  });

  it("answers 404 FLOW-1101-404 for a run of another org, even to that org's valid token", async () => {
    // Prepare
    const otherToken = await tokenFor(emulator, {
      clientId: 'other-client',
      clientSecret: 'other-secret',
      orgId: 'OTHER@AdobeOrg',
    });

    // Act
    const answer = await callFlowService(emulator, `/runs/${runId}`, {
      headers: platformHeaders(otherToken, { ...CLIENT, clientId: 'other-client', orgId: 'OTHER@AdobeOrg' }),
    });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1101-404');
  });
});
