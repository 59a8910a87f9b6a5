import { createTokenProvider, type TokenProviderOptions } from '../../../lambda/adapters/ims';
import { ImsError } from '../../../lambda/core/errors';
import type { Credential } from '../../../lambda/core/model';
import { type LoopbackServer, startLoopbackServer } from './loopback-server';

const CLIENT_SECRET = 'p8e-Cl1ent-S3cret-value';
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.access-token-body.signature';
const credential: Credential = {
  clientId: 'client-abc',
  clientSecret: CLIENT_SECRET,
  orgId: '0A1B2C3D4E5F@AdobeOrg',
  scopes: ['openid', 'AdobeID', 'read_organizations', 'additional_info.projectedProductContext'],
};
const DAY_SECONDS = 86_399;

let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

/** A clock the test moves, and a sleep that moves it instead of waiting. */
function fakeTime(start = 1_000_000) {
  const clock = { t: start, waits: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.waits.push(ms);
      clock.t += ms;
    },
  };
}

function provider(options: Partial<TokenProviderOptions> = {}) {
  const time = fakeTime();
  const tokens = createTokenProvider({
    tokenUrl: `${server.url}/ims/token/v3`,
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...options,
  });
  return { tokens, clock: time.clock };
}

function tokenReply(expiresIn: number = DAY_SECONDS, token = ACCESS_TOKEN) {
  return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: expiresIn } };
}

async function rejection(promise: Promise<unknown>): Promise<ImsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ImsError);
    const imsError = error as ImsError;
    expect(imsError.message).not.toContain(CLIENT_SECRET);
    expect(imsError.message).not.toContain(ACCESS_TOKEN);
    return imsError;
  }
  throw new Error('expected a rejection');
}

describe('createTokenProvider', () => {
  it('posts the client credentials as a form body, never in the URL', async () => {
    // Prepare
    server.reply(tokenReply());
    const { tokens } = provider();

    // Act
    const token = await tokens.getToken(credential);

    // Assess
    expect(token).toBe(ACCESS_TOKEN);
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/ims/token/v3');
    expect(request.url).not.toContain(CLIENT_SECRET);
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(request.body);
    expect(Object.fromEntries(form)).toEqual({
      client_id: 'client-abc',
      client_secret: CLIENT_SECRET,
      grant_type: 'client_credentials',
      scope: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext',
    });
  });

  it('throws a configuration error at creation for a token URL that is not absolute', () => {
    // Act
    const create = () => createTokenProvider({ tokenUrl: 'ims-na1.adobelogin.com/ims/token/v3' });

    // Assess
    expect(create).toThrow(ImsError);
    expect(create).toThrow(/IMS_TOKEN_URL/);
  });

  it('mints one token for many sequential calls', async () => {
    // Prepare
    server.reply(tokenReply());
    const { tokens } = provider();

    // Act
    for (let call = 0; call < 10; call++) await tokens.getToken(credential);

    // Assess
    expect(server.requests).toHaveLength(1);
  });

  it('mints one token for 50 concurrent calls', async () => {
    // Prepare
    server.reply(tokenReply());
    const { tokens } = provider();

    // Act
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken(credential)));

    // Assess
    expect(new Set(results)).toEqual(new Set([ACCESS_TOKEN]));
    expect(server.requests).toHaveLength(1);
  });

  it('keeps one token per client id', async () => {
    // Prepare
    server.handle((request) =>
      tokenReply(DAY_SECONDS, `token-of-${new URLSearchParams(request.body).get('client_id')}`),
    );
    const { tokens } = provider();
    const other: Credential = { ...credential, clientId: 'client-xyz', orgId: 'FFFF@AdobeOrg' };

    // Act
    const first = await tokens.getToken(credential);
    const second = await tokens.getToken(other);
    await tokens.getToken(credential);

    // Assess
    expect([first, second]).toEqual(['token-of-client-abc', 'token-of-client-xyz']);
    expect(server.requests).toHaveLength(2);
  });

  it('replaces the token 10 % of its lifetime before it expires', async () => {
    // Prepare
    server.reply(tokenReply(3600));
    const { tokens, clock } = provider();
    await tokens.getToken(credential);
    const refreshAt = clock.t + 3600_000 - 360_000;

    // Act
    clock.t = refreshAt - 1;
    await tokens.getToken(credential);
    const beforeRefresh = server.requests.length;
    clock.t = refreshAt;
    await tokens.getToken(credential);

    // Assess
    expect(beforeRefresh).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it('caps the default refresh margin at one hour', async () => {
    // Prepare: a day-long token, Adobe's usual, is replaced one hour (not 2.4 h) before expiry.
    server.reply(tokenReply());
    const { tokens, clock } = provider();
    await tokens.getToken(credential);
    const refreshAt = clock.t + DAY_SECONDS * 1000 - 3600_000;

    // Act
    clock.t = refreshAt - 1;
    await tokens.getToken(credential);
    const beforeRefresh = server.requests.length;
    clock.t = refreshAt;
    await tokens.getToken(credential);

    // Assess
    expect(beforeRefresh).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it('uses the refresh margin it is given', async () => {
    // Prepare
    server.reply(tokenReply(3600));
    const { tokens, clock } = provider({ refreshMarginMs: 60_000 });
    await tokens.getToken(credential);
    const refreshAt = clock.t + 3600_000 - 60_000;

    // Act
    clock.t = refreshAt - 1;
    await tokens.getToken(credential);
    const beforeRefresh = server.requests.length;
    clock.t = refreshAt;
    await tokens.getToken(credential);

    // Assess
    expect(beforeRefresh).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it('reads an expires_in above ten days as milliseconds', async () => {
    // Prepare: the deprecated JWT exchange answered 86399992 ms; read as seconds it would last 1000 days.
    server.reply(tokenReply(86_399_992));
    const { tokens, clock } = provider();
    await tokens.getToken(credential);

    // Act
    clock.t += 86_399_992;
    await tokens.getToken(credential);

    // Assess
    expect(server.requests).toHaveLength(2);
  });

  it('mints again after invalidate', async () => {
    // Prepare
    server.reply(tokenReply(DAY_SECONDS, 'first-token'), tokenReply(DAY_SECONDS, 'second-token'));
    const { tokens } = provider();
    await tokens.getToken(credential);

    // Act
    tokens.invalidate(credential);
    const token = await tokens.getToken(credential);

    // Assess
    expect(token).toBe('second-token');
    expect(server.requests).toHaveLength(2);
  });

  it('throws a configuration error naming the client and the OAuth code on 401, without retrying', async () => {
    // Prepare
    server.reply({
      status: 401,
      body: { error: 'invalid_client', error_description: `invalid client_secret ${CLIENT_SECRET}` },
    });
    const { tokens } = provider();

    // Act
    const error = await rejection(tokens.getToken(credential));

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_client');
    expect(error.message).toContain('client-abc');
    expect(error.message).toContain('check clientId, clientSecret and scopes in the credential secret');
    expect(error.message).not.toContain('grant_type');
    expect(server.requests).toHaveLength(1);
  });

  it.each([400, 403])('throws a configuration error on %i', async (status) => {
    // Prepare
    server.reply({ status, body: { error: 'invalid_scope' } });
    const { tokens } = provider();

    // Act
    const error = await rejection(tokens.getToken(credential));

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.code).toBe('invalid_scope');
    expect(server.requests).toHaveLength(1);
  });

  it('throws a configuration error when a 200 has no access_token', async () => {
    // Prepare
    server.reply({ status: 200, body: { token_type: 'bearer' } });
    const { tokens } = provider();

    // Act
    const error = await rejection(tokens.getToken(credential));

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('client-abc');
  });

  it('does not cache a failure', async () => {
    // Prepare
    server.reply({ status: 401, body: { error: 'invalid_client' } }, tokenReply());
    const { tokens } = provider();
    await rejection(tokens.getToken(credential));

    // Act
    const token = await tokens.getToken(credential);

    // Assess
    expect(token).toBe(ACCESS_TOKEN);
    expect(server.requests).toHaveLength(2);
  });

  it.each([429, 500, 503])('retries %i with backoff and returns the token', async (status) => {
    // Prepare
    server.reply({ status, body: { error: 'server_error' } }, tokenReply());
    const { tokens, clock } = provider();

    // Act
    const token = await tokens.getToken(credential);

    // Assess
    expect(token).toBe(ACCESS_TOKEN);
    expect(server.requests).toHaveLength(2);
    expect(clock.waits).toEqual([250]);
  });

  it('waits as long as Retry-After says', async () => {
    // Prepare
    server.reply({ status: 429, headers: { 'retry-after': '3' } }, tokenReply());
    const { tokens, clock } = provider();

    // Act
    await tokens.getToken(credential);

    // Assess
    expect(clock.waits).toEqual([3000]);
  });

  it('rejects with a transient error after maxTries', async () => {
    // Prepare
    server.reply({ status: 503, body: '<html>Service Unavailable</html>' });
    const { tokens } = provider({ maxTries: 3 });

    // Act
    const error = await rejection(tokens.getToken(credential));

    // Assess
    expect(error.kind).toBe('transient');
    expect(error.status).toBe(503);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a timed-out attempt', async () => {
    // Prepare
    server.reply('hang', tokenReply());
    const { tokens } = provider({ timeoutMs: 100 });

    // Act
    const token = await tokens.getToken(credential);

    // Assess
    expect(token).toBe(ACCESS_TOKEN);
    expect(server.requests).toHaveLength(2);
  });

  it('rejects with a transient error when every attempt loses its connection', async () => {
    // Prepare
    server.reply('drop');
    const { tokens } = provider({ maxTries: 2 });

    // Act
    const error = await rejection(tokens.getToken(credential));

    // Assess
    expect(error.kind).toBe('transient');
    expect(server.requests).toHaveLength(2);
  });

  it('rejects at once when the next wait would cross the deadline', async () => {
    // Prepare
    server.reply({ status: 429, headers: { 'retry-after': '10' } }, tokenReply());
    const { tokens, clock } = provider();

    // Act
    const error = await rejection(tokens.getToken(credential, { deadline: clock.t + 5000 }));

    // Assess
    expect(error.kind).toBe('transient');
    expect(clock.waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects without a request when the deadline has passed', async () => {
    // Prepare
    server.reply(tokenReply());
    const { tokens, clock } = provider();

    // Act
    const error = await rejection(tokens.getToken(credential, { deadline: clock.t - 1 }));

    // Assess
    expect(error.kind).toBe('transient');
    expect(server.requests).toHaveLength(0);
  });

  it('shares one failure among concurrent callers', async () => {
    // Prepare
    server.reply({ status: 401, body: { error: 'invalid_client' } });
    const { tokens } = provider();

    // Act
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.getToken(credential)));

    // Assess
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});
