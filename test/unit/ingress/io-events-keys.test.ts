import { generateKeyPairSync } from 'node:crypto';
import {
  ADOBE_KEY_ORIGIN,
  checkKeyOrigin,
  createIoEventsKeys,
  MAX_KEY_CACHE_MS,
} from '../../../lambda/adapters/io-events-keys';
import { type IoEventsSigner, startIoEventsSigner } from '../../../sandbox/webhook-demo';
import { manualClock } from '../../support/fakes';
import { type LoopbackServer, startLoopbackServer } from '../adapters/loopback-server';

const UNKNOWN_PATH = '/prod/keys/pub-key-00000000-0000-4000-8000-000000000000.pem';

let signer: IoEventsSigner;

beforeAll(async () => {
  signer = await startIoEventsSigner();
});

afterAll(async () => {
  await signer.close();
});

afterEach(() => {
  signer.setFault(undefined);
});

const requestsFor = (path: string) => signer.keyRequests().filter((request) => request === path).length;

describe('createIoEventsKeys', () => {
  it('fetches a key from the origin and path, and parses it', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin });
    const [path] = signer.keyPaths;

    // Act
    const key = await keys.get(path);

    // Assess
    expect(key?.type).toBe('public');
    expect(key?.asymmetricKeyType).toBe('rsa');
    expect(requestsFor(path)).toBeGreaterThanOrEqual(1);
  });

  it('serves a key from its cache, sharing one fetch among concurrent callers', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin });
    const [, path] = signer.keyPaths;
    const before = requestsFor(path);

    // Act
    const [first, second] = await Promise.all([keys.get(path), keys.get(path)]);
    const third = await keys.get(path);

    // Assess
    expect(first).not.toBeNull();
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(requestsFor(path) - before).toBe(1);
  });

  it('fetches the key again once 24 hours have passed, never later', async () => {
    // Prepare
    const clock = manualClock();
    const keys = createIoEventsKeys({ origin: signer.keyOrigin, now: clock.now });
    const [path] = signer.keyPaths;
    await keys.get(path);
    const before = requestsFor(path);

    // Act
    clock.advance(MAX_KEY_CACHE_MS - 1);
    await keys.get(path);
    const withinDay = requestsFor(path) - before;
    clock.advance(1);
    await keys.get(path);

    // Assess
    expect(withinDay).toBe(0);
    expect(requestsFor(path) - before).toBe(1);
  });

  it('throws when asked to cache keys for more than 24 hours', () => {
    // Act & Assess
    expect(() => createIoEventsKeys({ origin: signer.keyOrigin, ttlMs: MAX_KEY_CACHE_MS + 1 })).toThrow(
      /at most 24 hours/,
    );
  });

  it('answers null for a key the origin does not have, and remembers it for a while', async () => {
    // Prepare
    const clock = manualClock();
    const keys = createIoEventsKeys({ origin: signer.keyOrigin, now: clock.now, missingTtlMs: 60_000 });
    const before = requestsFor(UNKNOWN_PATH);

    // Act
    const first = await keys.get(UNKNOWN_PATH);
    await keys.get(UNKNOWN_PATH);
    const remembered = requestsFor(UNKNOWN_PATH) - before;
    clock.advance(60_000);
    await keys.get(UNKNOWN_PATH);

    // Assess
    expect(first).toBeNull();
    expect(remembered).toBe(1);
    expect(requestsFor(UNKNOWN_PATH) - before).toBe(2);
  });

  it('fetches nothing for a path outside /prod/keys/pub-key-<uuid>.pem', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin });
    const before = signer.keyRequests().length;

    // Act
    const answers = await Promise.all([
      keys.get('/prod/keys/../secret.pem'),
      keys.get(`${signer.keyPaths[0]}?x=1`),
      keys.get('//evil.example/key.pem'),
    ]);

    // Assess
    expect(answers).toEqual([null, null, null]);
    expect(signer.keyRequests().length).toBe(before);
  });

  it('retries a 5xx once, then throws a transient error', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin });
    signer.setFault({ status: 503 });
    const before = signer.keyRequests().length;

    // Act & Assess
    await expect(keys.get(signer.keyPaths[0])).rejects.toMatchObject({ kind: 'transient' });
    expect(signer.keyRequests().length - before).toBe(2);
  });

  it('gives up on a key server that does not answer within the timeout', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin, timeoutMs: 100, retries: 0 });
    signer.setFault('hang');
    const started = Date.now();

    // Act & Assess
    await expect(keys.get(signer.keyPaths[1])).rejects.toMatchObject({ kind: 'transient' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops at the call deadline', async () => {
    // Prepare
    const keys = createIoEventsKeys({ origin: signer.keyOrigin, timeoutMs: 5000 });
    signer.setFault('hang');
    const started = Date.now();

    // Act & Assess
    await expect(keys.get(signer.keyPaths[1], { deadline: Date.now() + 150 })).rejects.toMatchObject({
      kind: 'transient',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('createIoEventsKeys against an origin that misbehaves', () => {
  let server: LoopbackServer;
  const PATH = '/prod/keys/pub-key-11111111-2222-4333-8444-555555555555.pem';

  beforeAll(async () => {
    server = await startLoopbackServer();
  });

  afterAll(async () => {
    await server.close();
  });

  afterEach(() => server.reset());

  it('does not follow a redirect', async () => {
    // Prepare
    server.reply({ status: 302, headers: { location: 'https://evil.example/key.pem' } });
    const keys = createIoEventsKeys({ origin: server.url });

    // Act & Assess
    await expect(keys.get(PATH)).resolves.toBeNull();
    expect(server.requests).toHaveLength(1);
  });

  it('answers null for a body that is not a PEM public key, or too large to be one', async () => {
    // Prepare
    server.reply(
      { status: 200, body: 'hello' },
      { status: 200, body: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(40_000)}` },
    );

    // Act
    const first = await createIoEventsKeys({ origin: server.url }).get(PATH);
    const second = await createIoEventsKeys({ origin: server.url }).get(PATH);

    // Assess
    expect(first).toBeNull();
    expect(second).toBeNull();
  });

  it('parses a PEM key served as text', async () => {
    // Prepare
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    server.reply({ status: 200, body: pem.toString(), headers: { 'content-type': 'text/plain' } });

    // Act
    const key = await createIoEventsKeys({ origin: server.url }).get(PATH);

    // Assess
    expect(key?.asymmetricKeyType).toBe('rsa');
    expect(server.requests[0]?.path).toBe(PATH);
  });
});

describe('checkKeyOrigin', () => {
  it.each([
    [ADOBE_KEY_ORIGIN, ADOBE_KEY_ORIGIN],
    [`${ADOBE_KEY_ORIGIN}/`, ADOBE_KEY_ORIGIN],
    ['http://127.0.0.1:8123', 'http://127.0.0.1:8123'],
    ['http://localhost:9000/', 'http://localhost:9000'],
  ])('accepts %s', (origin, expected) => {
    // Act & Assess
    expect(checkKeyOrigin(origin)).toBe(expected);
  });

  it.each([
    ['plain http to a remote host', 'http://static.adobeioevents.com'],
    ['a path', 'https://static.adobeioevents.com/prod/keys'],
    ['a query', 'https://static.adobeioevents.com/?x=1'],
    ['credentials', 'https://user:pass@static.adobeioevents.com'],
    ['another scheme', 'file:///etc/keys'],
    ['not a URL', 'static.adobeioevents.com'],
  ])('throws a configuration error for %s', (_name, origin) => {
    // Act & Assess
    expect(() => checkKeyOrigin(origin)).toThrow(expect.objectContaining({ kind: 'configuration' }));
  });
});
