import type { Emulator } from '../../emulator/server';
import { CLIENT, requestToken, startTestEmulator, tokenForm } from './support';

describe('emulated IMS token endpoint', () => {
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await startTestEmulator();
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('mints a bearer token for a known client and counts it', async () => {
    // Act
    const response = await requestToken(emulator, tokenForm());
    const body = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status).toBe(200);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 86399 });
    expect(emulator.state.resolveToken(body.access_token as string)).toMatchObject({
      clientId: CLIENT.clientId,
      orgId: CLIENT.orgId,
    });
    expect(emulator.state.stats().tokensMinted).toEqual({ total: 1, byClient: { [CLIENT.clientId]: 1 } });
  });

  it('mints a different token on every request', async () => {
    // Act
    const first = (await (await requestToken(emulator, tokenForm())).json()) as { access_token: string };
    const second = (await (await requestToken(emulator, tokenForm())).json()) as { access_token: string };

    // Assess
    expect(first.access_token).not.toBe(second.access_token);
    expect(emulator.state.stats().tokensMinted.total).toBe(2);
  });

  it('answers expires_in from the tokenLifetimeSeconds option', async () => {
    // Prepare
    await emulator.close();
    emulator = await startTestEmulator({ tokenLifetimeSeconds: 120 });

    // Act
    const body = (await (await requestToken(emulator, tokenForm())).json()) as { expires_in: number };

    // Assess
    expect(body.expires_in).toBe(120);
  });

  it('accepts the parameters as query parameters too', async () => {
    // Act
    const response = await fetch(`${emulator.imsTokenUrl}?${tokenForm()}`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
  });

  it('rejects an unknown client with 401 invalid_client', async () => {
    // Act
    const response = await requestToken(emulator, tokenForm({ ...CLIENT, clientId: 'someone-else' }));

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(emulator.state.stats().tokensMinted.total).toBe(0);
  });

  it('rejects a wrong secret with 401 invalid_client', async () => {
    // Act
    const response = await requestToken(emulator, tokenForm({ ...CLIENT, clientSecret: 'wrong' }));

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it.each(['grant_type', 'client_id', 'client_secret', 'scope'])(
    'rejects a request without %s with 400 invalid_request',
    async (name) => {
      // Prepare
      const form = new URLSearchParams(tokenForm());
      form.delete(name);

      // Act
      const response = await requestToken(emulator, form.toString());

      // Assess
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(name);
    },
  );

  it('rejects another grant type with 400 unsupported_grant_type', async () => {
    // Act
    const response = await requestToken(emulator, tokenForm(CLIENT, { grant_type: 'authorization_code' }));

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('rejects a JSON body with 400 invalid_request', async () => {
    // Act
    const response = await fetch(emulator.imsTokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(new URLSearchParams(tokenForm()))),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('rejects scopes the credential does not have with 400 invalid_scope', async () => {
    // Prepare
    emulator.state.addCredential({ ...CLIENT, clientId: 'scoped', scopes: ['openid', 'AdobeID'] });

    // Act
    const allowed = await requestToken(
      emulator,
      tokenForm({ ...CLIENT, clientId: 'scoped' }, { scope: 'openid,AdobeID' }),
    );
    const refused = await requestToken(
      emulator,
      tokenForm({ ...CLIENT, clientId: 'scoped' }, { scope: 'openid,admin' }),
    );

    // Assess
    expect(allowed.status).toBe(200);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_scope' });
  });
});
