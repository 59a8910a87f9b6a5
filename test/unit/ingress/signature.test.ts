import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { AutoRetryError } from '../../../lambda/core/errors';
import {
  headerLookup,
  isAllowedKeyPath,
  type PublicKeyPort,
  readSignatures,
  verifyDigitalSignatures,
  verifySignature,
} from '../../../lambda/core/signature';

const PATH_1 = '/prod/keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem';
const PATH_2 = '/prod/keys/pub-key-7c9e3b20-1d4f-4a6b-8e52-c3a1f0b7d9e8.pem';

const pair1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pair2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

const BODY = Buffer.from(JSON.stringify({ eventid: 'e-1', data: { id: 'run-1' } }), 'utf8');
const signed = (key: KeyObject, body: Uint8Array = BODY) => sign('rsa-sha256', body, key).toString('base64');

/** A key port over a fixed map, recording which paths were asked for. */
function keysOf(entries: Record<string, KeyObject | null | 'unreachable'>) {
  const asked: string[] = [];
  const port: PublicKeyPort = {
    async get(path) {
      asked.push(path);
      const entry = entries[path];
      if (entry === 'unreachable') throw new AutoRetryError('key origin unreachable', { kind: 'transient' });
      return entry ?? null;
    },
  };
  return Object.assign(port, { asked });
}

const bothKeys = () => keysOf({ [PATH_1]: pair1.publicKey, [PATH_2]: pair2.publicKey });

describe('headerLookup', () => {
  it('finds headers whatever the case of their names', () => {
    // Prepare
    const header = headerLookup({ 'X-Adobe-Digital-Signature-1': 'abc', other: undefined });

    // Act & Assess
    expect(header('x-adobe-digital-signature-1')).toBe('abc');
    expect(header('X-ADOBE-DIGITAL-SIGNATURE-1')).toBe('abc');
    expect(header('other')).toBeUndefined();
  });
});

describe('readSignatures', () => {
  it('reads both spellings of the signature headers with their key paths', () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature1': 's1',
      'x-adobe-public-key1-path': PATH_1,
      'x-adobe-digital-signature-2': 's2',
      'x-adobe-public-key2-path': PATH_2,
    });

    // Act
    const pairs = readSignatures(header);

    // Assess
    expect(pairs).toEqual([
      { index: 1, signature: 's1', keyPath: PATH_1 },
      { index: 2, signature: 's2', keyPath: PATH_2 },
    ]);
  });

  it('leaves out a pair that has neither a signature nor a key path', () => {
    // Act
    const pairs = readSignatures(headerLookup({ 'x-adobe-digital-signature-2': 's2' }));

    // Assess
    expect(pairs).toEqual([{ index: 2, signature: 's2', keyPath: undefined }]);
  });
});

describe('isAllowedKeyPath', () => {
  it.each([
    ['the documented shape', PATH_1, true],
    [
      'upper-case hex',
      PATH_1.toUpperCase().replace('/PROD/KEYS/PUB-KEY-', '/prod/keys/pub-key-').replace('.PEM', '.pem'),
      true,
    ],
    ['a parent segment', '/prod/keys/../keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem', false],
    ['a double slash', '//evil.example/prod/keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem', false],
    ['a query', `${PATH_1}?v=1`, false],
    ['a fragment', `${PATH_1}#x`, false],
    ['an absolute URL', `https://evil.example${PATH_1}`, false],
    ['another folder', '/stage/keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem', false],
    ['not a uuid', '/prod/keys/pub-key-latest.pem', false],
    ['an encoded slash', '/prod/keys/pub-key-0f2d6a1e%2F5b8c-4c1e-9a37-2f0c8d1b6e4a.pem', false],
    ['nothing', undefined, false],
  ])('answers %s: %s -> %s', (_name, path, expected) => {
    // Act & Assess
    expect(isAllowedKeyPath(path)).toBe(expected);
  });
});

describe('verifySignature', () => {
  it('verifies an RSA-SHA256 signature of the raw body', () => {
    // Act & Assess
    expect(verifySignature(BODY, pair1.publicKey, signed(pair1.privateKey))).toBe(true);
  });

  it('rejects a signature made by another key, of other bytes, or not base64 at all', () => {
    // Act & Assess
    expect(verifySignature(BODY, pair1.publicKey, signed(stranger.privateKey))).toBe(false);
    expect(
      verifySignature(Buffer.from(`${BODY.toString()} `), pair1.publicKey, signed(pair1.privateKey)),
    ).toBe(false);
    expect(verifySignature(BODY, pair1.publicKey, '***not base64***')).toBe(false);
    expect(verifySignature(BODY, pair1.publicKey, '')).toBe(false);
    expect(verifySignature(BODY, pair1.publicKey, 'A'.repeat(10_000))).toBe(false);
  });
});

describe('verifyDigitalSignatures', () => {
  it('accepts a delivery whose first signature verifies', async () => {
    // Prepare
    const keys = bothKeys();
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(pair1.privateKey),
      'x-adobe-public-key1-path': PATH_1,
      'x-adobe-digital-signature-2': signed(pair2.privateKey),
      'x-adobe-public-key2-path': PATH_2,
    });

    // Act
    const verdict = await verifyDigitalSignatures(BODY, header, keys);

    // Assess
    expect(verdict).toEqual({ valid: true, index: 1, keyPath: PATH_1 });
    expect(keys.asked).toEqual([PATH_1]);
  });

  it('accepts a delivery whose second signature alone verifies', async () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(stranger.privateKey),
      'x-adobe-public-key1-path': PATH_1,
      'x-adobe-digital-signature-2': signed(pair2.privateKey),
      'x-adobe-public-key2-path': PATH_2,
    });

    // Act
    const verdict = await verifyDigitalSignatures(BODY, header, bothKeys());

    // Assess
    expect(verdict).toEqual({ valid: true, index: 2, keyPath: PATH_2 });
  });

  it('rejects an unsigned delivery without asking for a key', async () => {
    // Prepare
    const keys = bothKeys();

    // Act
    const verdict = await verifyDigitalSignatures(BODY, headerLookup({}), keys);

    // Assess
    expect(verdict).toMatchObject({ valid: false, failure: 'unsigned' });
    expect(keys.asked).toEqual([]);
  });

  it('rejects key paths outside /prod/keys/pub-key-<uuid>.pem without fetching them', async () => {
    // Prepare
    const keys = bothKeys();
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(pair1.privateKey),
      'x-adobe-public-key1-path': '/prod/keys/../../etc/passwd',
      'x-adobe-digital-signature-2': signed(pair2.privateKey),
      'x-adobe-public-key2-path': `${PATH_2}?redirect=https://evil.example`,
    });

    // Act
    const verdict = await verifyDigitalSignatures(BODY, header, keys);

    // Assess
    expect(verdict).toMatchObject({ valid: false, failure: 'bad-key-path' });
    expect(keys.asked).toEqual([]);
  });

  it('rejects a signature without its key path, and a key path without its signature', async () => {
    // Act
    const verdict = await verifyDigitalSignatures(
      BODY,
      headerLookup({
        'x-adobe-digital-signature-1': signed(pair1.privateKey),
        'x-adobe-public-key2-path': PATH_2,
      }),
      bothKeys(),
    );

    // Assess
    expect(verdict).toMatchObject({ valid: false, failure: 'bad-key-path' });
    expect(!verdict.valid && verdict.detail).toBe('key path 1 is missing; signature 2 is missing');
  });

  it('rejects a forged signature checked against the named key', async () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(stranger.privateKey),
      'x-adobe-public-key1-path': PATH_1,
    });

    // Act
    const verdict = await verifyDigitalSignatures(BODY, header, bothKeys());

    // Assess
    expect(verdict).toMatchObject({ valid: false, failure: 'invalid-signature' });
  });

  it('rejects a delivery naming keys the origin does not publish', async () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(pair1.privateKey),
      'x-adobe-public-key1-path': PATH_1,
    });

    // Act
    const verdict = await verifyDigitalSignatures(BODY, header, keysOf({}));

    // Assess
    expect(verdict).toMatchObject({ valid: false, failure: 'unknown-key' });
  });

  it('throws the transient error when no signature verified and a key was unreachable', async () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(pair1.privateKey),
      'x-adobe-public-key1-path': PATH_1,
    });

    // Act & Assess
    await expect(
      verifyDigitalSignatures(BODY, header, keysOf({ [PATH_1]: 'unreachable' })),
    ).rejects.toMatchObject({ kind: 'transient' });
  });

  it('accepts the second signature when the first key is unreachable', async () => {
    // Prepare
    const header = headerLookup({
      'x-adobe-digital-signature-1': signed(pair1.privateKey),
      'x-adobe-public-key1-path': PATH_1,
      'x-adobe-digital-signature-2': signed(pair2.privateKey),
      'x-adobe-public-key2-path': PATH_2,
    });

    // Act
    const verdict = await verifyDigitalSignatures(
      BODY,
      header,
      keysOf({ [PATH_1]: 'unreachable', [PATH_2]: pair2.publicKey }),
    );

    // Assess
    expect(verdict).toMatchObject({ valid: true, index: 2 });
  });
});
