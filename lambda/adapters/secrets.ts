/**
 * The OAuth Server-to-Server credentials, read from one Secrets Manager secret, checked, and
 * cached per container. Error messages name the secret, the entry and the field, never a value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialsError } from '../core/errors';
import type { Credential } from '../core/model';
import type { CredentialsPort } from '../core/ports';
import { asRecord } from '../core/run-object';

/** Options of {@link createCredentialsProvider}. */
export interface CredentialsProviderOptions {
  /** Built once at cold start by the handler, with the SDK's default endpoint resolution. */
  readonly client: SecretsManagerClient;
  /** Name or ARN of the secret. */
  readonly secretId: string;
  /** How long a read secret is used before it is read again (rotation). @default 300000 */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The AWS errors that only an operator can fix, with the fix. */
const CONFIGURATION_ERRORS: Readonly<Record<string, string>> = {
  ResourceNotFoundException:
    'create the secret (or fix CREDENTIALS_SECRET_ID) and put the credential JSON in it',
  AccessDeniedException:
    "grant the function secretsmanager:GetSecretValue on the secret (and kms:Decrypt on the secret's key)",
  DecryptionFailure: "grant the function kms:Decrypt on the secret's KMS key",
  InvalidRequestException: 'restore the secret if it is scheduled for deletion, and give it a value',
  InvalidParameterException: 'check CREDENTIALS_SECRET_ID',
};

const FIELDS = ['clientId', 'clientSecret', 'orgId'] as const;

/**
 * Creates the {@link CredentialsPort} over the secret `secretId`. Its value is one credential
 * `{"clientId","clientSecret","orgId","scopes"}` or an array of them (one per org); `scopes` is a
 * comma-separated string or an array of strings. The secret is read at most once per `ttlMs`
 * (concurrent callers share one read) and every entry is checked; a failure throws
 * {@link CredentialsError}: kind `configuration` for a missing, unreadable or malformed secret,
 * `transient` for throttling and AWS-side faults, with the AWS error in `cause`.
 */
export function createCredentialsProvider(options: CredentialsProviderOptions): CredentialsPort {
  const { client, secretId, ttlMs = 300_000 } = options;
  const now = options.now ?? Date.now;
  let cached: { readonly credentials: readonly Credential[]; readonly readAt: number } | undefined;
  let inflight: Promise<readonly Credential[]> | undefined;

  async function read(): Promise<readonly Credential[]> {
    const readAt = now();
    let value: string;
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      value =
        answer.SecretString ?? (answer.SecretBinary ? new TextDecoder().decode(answer.SecretBinary) : '');
    } catch (error) {
      throw awsError(secretId, error);
    }
    const credentials = parseCredentials(value, secretId);
    cached = { credentials, readAt };
    return credentials;
  }

  function load(): Promise<readonly Credential[]> {
    if (cached && now() - cached.readAt < ttlMs) return Promise.resolve(cached.credentials);
    if (!inflight) {
      inflight = read().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  return {
    async forOrg(orgId: string): Promise<Credential | null> {
      const wanted = orgId.toLowerCase();
      return (await load()).find((credential) => credential.orgId.toLowerCase() === wanted) ?? null;
    },
    all: load,
  };
}

/**
 * Reads and checks a secret value; throws one
 * {@link CredentialsError} naming every problem found.
 */
function parseCredentials(value: string, secretId: string): readonly Credential[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // No cause: the JSON parser's message quotes the text, which is the secret.
    throw configuration(
      `The credential secret ${secretId} is empty or not JSON; put {"clientId","clientSecret","orgId","scopes"} (or an array of them) in it`,
    );
  }
  const entries = Array.isArray(parsed) ? parsed : [parsed];
  if (entries.length === 0) {
    throw configuration(
      `The credential secret ${secretId} holds an empty array; add at least one credential`,
    );
  }
  const problems: string[] = [];
  const credentials: Credential[] = [];
  const indexByOrg = new Map<string, number>();
  entries.forEach((entry, index) => {
    const where = Array.isArray(parsed) ? `entry ${index}` : 'the credential';
    const credential = checkEntry(entry, where, problems);
    if (!credential) return;
    const org = credential.orgId.toLowerCase();
    const first = indexByOrg.get(org);
    if (first !== undefined) {
      problems.push(`entry ${index} has the same orgId as entry ${first} (one credential per org)`);
      return;
    }
    indexByOrg.set(org, index);
    credentials.push(credential);
  });
  if (problems.length > 0) {
    throw configuration(`The credential secret ${secretId} is malformed: ${problems.join('; ')}`);
  }
  return Object.freeze(credentials);
}

function checkEntry(entry: unknown, where: string, problems: string[]): Credential | undefined {
  const record = asRecord(entry);
  if (!record) {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const before = problems.length;
  const fields: Partial<Record<(typeof FIELDS)[number], string>> = {};
  for (const field of FIELDS) {
    const raw = record[field];
    if (typeof raw !== 'string') {
      problems.push(`${where}: ${field} is ${raw === undefined ? 'missing' : 'not a string'}`);
    } else if (raw.trim() === '') {
      problems.push(`${where}: ${field} is empty`);
    } else {
      fields[field] = raw.trim();
    }
  }
  if (fields.orgId !== undefined && !/@AdobeOrg$/i.test(fields.orgId)) {
    problems.push(
      `${where}: orgId does not end with @AdobeOrg (copy the IMS org id from the Developer Console)`,
    );
  }
  const scopes = readScopes(record.scopes);
  if (typeof scopes === 'string') problems.push(`${where}: scopes ${scopes}`);
  const { clientId, clientSecret, orgId } = fields;
  if (problems.length > before || !clientId || !clientSecret || !orgId || typeof scopes === 'string') {
    return undefined;
  }
  return Object.freeze({ clientId, clientSecret, orgId, scopes: Object.freeze(scopes) });
}

/** The scopes, or what is wrong with them. */
function readScopes(raw: unknown): string[] | string {
  if (raw === undefined) return 'is missing';
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined;
  if (!list) return 'is neither a comma-separated string nor an array of strings';
  if (list.some((scope) => typeof scope !== 'string')) return 'holds an entry that is not a string';
  const scopes = (list as string[]).map((scope) => scope.trim()).filter((scope) => scope !== '');
  return scopes.length > 0 ? scopes : 'is empty';
}

function configuration(message: string, cause?: unknown): CredentialsError {
  return new CredentialsError(message, { kind: 'configuration', cause });
}

function awsError(secretId: string, error: unknown): CredentialsError {
  const name = error instanceof Error ? error.name : 'Error';
  const fix = Object.hasOwn(CONFIGURATION_ERRORS, name) ? CONFIGURATION_ERRORS[name] : undefined;
  if (fix)
    return configuration(`Reading the credential secret ${secretId} failed with ${name}; ${fix}`, error);
  return new CredentialsError(
    `Reading the credential secret ${secretId} failed with ${name}; Secrets Manager is throttling or unreachable, try again later`,
    { kind: 'transient', cause: error },
  );
}
