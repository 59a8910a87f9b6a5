import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createCredentialsProvider } from '../../../lambda/adapters/secrets';
import { CredentialsError } from '../../../lambda/core/errors';

const SECRET_ID = 'aep-autoretry/credentials';
const CLIENT_SECRET = 'p8e-Cl1ent-S3cret-value';
const OTHER_SECRET = 'p8e-0ther-S3cret-value';
const ORG = '0A1B2C3D4E5F@AdobeOrg';
const OTHER_ORG = 'FFEE00112233@AdobeOrg';

const secretsManager = mockClient(SecretsManagerClient);

function entry(overrides: Record<string, unknown> = {}) {
  return {
    clientId: 'client-abc',
    clientSecret: CLIENT_SECRET,
    orgId: ORG,
    scopes: 'openid, AdobeID,read_organizations',
    ...overrides,
  };
}

function provider(clock = { t: 1_000 }) {
  return createCredentialsProvider({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    secretId: SECRET_ID,
    ttlMs: 60_000,
    now: () => clock.t,
  });
}

function secretIs(value: unknown) {
  secretsManager
    .on(GetSecretValueCommand, { SecretId: SECRET_ID })
    .resolves({ SecretString: typeof value === 'string' ? value : JSON.stringify(value) });
}

async function rejection(promise: Promise<unknown>): Promise<CredentialsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialsError);
    return error as CredentialsError;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => secretsManager.reset());

describe('createCredentialsProvider', () => {
  it('reads one credential and splits comma-separated scopes', async () => {
    // Prepare
    secretIs(entry());

    // Act
    const credential = await provider().forOrg(ORG);

    // Assess
    expect(credential).toEqual({
      clientId: 'client-abc',
      clientSecret: CLIENT_SECRET,
      orgId: ORG,
      scopes: ['openid', 'AdobeID', 'read_organizations'],
    });
  });

  it('reads an array of credentials, scopes as arrays too', async () => {
    // Prepare
    secretIs([
      entry(),
      entry({
        clientId: 'client-xyz',
        clientSecret: OTHER_SECRET,
        orgId: OTHER_ORG,
        scopes: ['openid', 'AdobeID'],
      }),
    ]);
    const credentials = provider();

    // Act
    const all = await credentials.all();
    const other = await credentials.forOrg(OTHER_ORG);

    // Assess
    expect(all.map((credential) => credential.orgId)).toEqual([ORG, OTHER_ORG]);
    expect(other?.clientId).toBe('client-xyz');
    expect(other?.scopes).toEqual(['openid', 'AdobeID']);
  });

  it('matches org ids case-insensitively and answers null for an unknown org', async () => {
    // Prepare
    secretIs(entry());
    const credentials = provider();

    // Act
    const lower = await credentials.forOrg(ORG.toLowerCase());
    const unknown = await credentials.forOrg(OTHER_ORG);

    // Assess
    expect(lower?.clientId).toBe('client-abc');
    expect(unknown).toBeNull();
  });

  it('reads a binary secret', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(JSON.stringify(entry())) });

    // Act
    const credential = await provider().forOrg(ORG);

    // Assess
    expect(credential?.clientId).toBe('client-abc');
  });

  it('reads the secret once within the TTL and again after it', async () => {
    // Prepare
    secretIs(entry());
    const clock = { t: 1_000 };
    const credentials = provider(clock);

    // Act
    await credentials.forOrg(ORG);
    clock.t += 59_999;
    await credentials.forOrg(ORG);
    await credentials.all();
    const withinTtl = secretsManager.commandCalls(GetSecretValueCommand).length;
    clock.t += 1;
    await credentials.forOrg(ORG);

    // Assess
    expect(withinTtl).toBe(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the secret once for concurrent callers', async () => {
    // Prepare
    secretIs(entry());
    const credentials = provider();

    // Act
    await Promise.all(Array.from({ length: 20 }, () => credentials.forOrg(ORG)));

    // Assess
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a failure', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ message: 'boom', $metadata: {} }))
      .resolves({ SecretString: JSON.stringify(entry()) });
    const credentials = provider();
    await rejection(credentials.forOrg(ORG));

    // Act
    const credential = await credentials.forOrg(ORG);

    // Assess
    expect(credential?.clientId).toBe('client-abc');
  });
});

describe('createCredentialsProvider: validation', () => {
  it.each([
    ['clientSecret', { clientSecret: undefined }, 'clientSecret is missing'],
    ['clientSecret', { clientSecret: '   ' }, 'clientSecret is empty'],
    ['clientId', { clientId: 42 }, 'clientId is not a string'],
    ['orgId', { orgId: '' }, 'orgId is empty'],
    ['orgId', { orgId: '0A1B2C3D4E5F' }, 'orgId does not end with @AdobeOrg'],
    ['scopes', { scopes: undefined }, 'scopes is missing'],
    ['scopes', { scopes: ' , ' }, 'scopes is empty'],
    ['scopes', { scopes: ['openid', 7] }, 'scopes holds an entry that is not a string'],
    ['scopes', { scopes: { openid: true } }, 'scopes is neither'],
  ])('throws naming %s, its entry and the secret, never a value', async (_field, overrides, expected) => {
    // Prepare
    secretIs([entry({ clientId: 'client-first' }), entry({ orgId: OTHER_ORG, ...overrides })]);

    // Act
    const error = await rejection(provider().all());

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).toContain(`entry 1: ${expected}`);
    for (const value of [
      CLIENT_SECRET,
      CLIENT_SECRET.slice(0, 8),
      'client-first',
      '0A1B2C3D4E5F',
      OTHER_ORG,
    ]) {
      expect(error.message).not.toContain(value);
    }
  });

  it('names every problem of a single object in one error', async () => {
    // Prepare
    secretIs({ clientId: 'client-abc', orgId: 'not-an-org' });

    // Act
    const error = await rejection(provider().forOrg(ORG));

    // Assess
    expect(error.message).toContain('the credential: clientSecret is missing');
    expect(error.message).toContain('the credential: orgId does not end with @AdobeOrg');
    expect(error.message).toContain('the credential: scopes is missing');
    expect(error.message).not.toContain('not-an-org');
    expect(error.message).not.toContain('client-abc');
  });

  it('throws on duplicate org ids, whatever their case', async () => {
    // Prepare
    secretIs([entry(), entry({ clientId: 'client-xyz', orgId: ORG.toLowerCase() })]);

    // Act
    const error = await rejection(provider().all());

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('entry 1 has the same orgId as entry 0');
    expect(error.message).not.toContain(ORG);
  });

  it('throws when the secret is not JSON, without echoing it', async () => {
    // Prepare
    secretIs(`clientSecret=${CLIENT_SECRET}`);

    // Act
    const error = await rejection(provider().all());

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain('not JSON');
    expect(error.message).not.toContain(CLIENT_SECRET.slice(0, 8));
    expect(JSON.stringify(error.cause ?? null)).not.toContain(CLIENT_SECRET.slice(0, 8));
  });

  it.each([
    ['an empty array', []],
    ['a non-object entry', ['client-abc']],
  ])('throws for %s', async (_what, value) => {
    // Prepare
    secretIs(value);

    // Act
    const error = await rejection(provider().all());

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).not.toContain('client-abc');
  });

  it('throws when the secret has no value', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({});

    // Act
    const error = await rejection(provider().all());

    // Assess
    expect(error.kind).toBe('configuration');
  });
});

describe('createCredentialsProvider: AWS errors', () => {
  const denied = new SecretsManagerServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'User is not authorized to perform secretsmanager:GetSecretValue',
  });
  const throttled = new SecretsManagerServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });
  const network = Object.assign(new Error('connect ETIMEDOUT 52.0.0.1:443'), { name: 'TimeoutError' });

  it.each([
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
      'create the secret',
    ],
    ['AccessDeniedException', denied, 'secretsmanager:GetSecretValue'],
    ['DecryptionFailure', new DecryptionFailure({ message: 'kms', $metadata: {} }), 'kms:Decrypt'],
  ])('maps %s to configuration, with the fix and the original as cause', async (name, awsError, fix) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(awsError);

    // Act
    const error = await rejection(provider().forOrg(ORG));

    // Assess
    expect(error.kind).toBe('configuration');
    expect(error.message).toContain(name);
    expect(error.message).toContain(fix);
    expect(error.message).toContain(SECRET_ID);
    expect(error.cause).toBe(awsError);
  });

  it.each([
    ['ThrottlingException', throttled],
    ['InternalServiceError', new InternalServiceError({ message: 'oops', $metadata: {} })],
    ['a network error', network],
  ])('maps %s to transient, with the original as cause', async (_name, awsError) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(awsError);

    // Act
    const error = await rejection(provider().forOrg(ORG));

    // Assess
    expect(error.kind).toBe('transient');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(awsError);
  });
});
