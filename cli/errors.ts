/**
 * The CLI's errors and exit codes: 0 ok, 1 failure, 2 usage. Messages name the thing and the fix
 * and never hold a secret or a token.
 */

/** Exit codes of `aep-autoretry`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A mistake in the command line: unknown command or option, missing argument. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /**
   * @param command the command whose help to point at, when known
   */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A failure the operator can act on: no sandbox running, stack not found, run not in the ledger. Exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns what the AWS SDK throws before a call reaches AWS (no credentials, no region) and the
 * common refusals into a {@link CliError} with the fix; anything else comes back unchanged.
 */
export function explainAwsError(error: unknown, what: string): unknown {
  if (error instanceof CliError || error instanceof UsageError) return error;
  const name = errorName(error);
  const message = messageOf(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(
      `AWS credentials are missing (${what}): set AWS_PROFILE (after "aws sso login") or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --local for the local sandbox`,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new CliError(
      `Nothing answers (${what}): ${message}; with --local, check that the sandbox of "npm start -- --keep" still runs`,
      { cause: error },
    );
  }
  if (/region is missing/i.test(message)) {
    return new CliError(`No AWS region (${what}): pass --region or set AWS_REGION`, { cause: error });
  }
  if (
    name === 'ExpiredToken' ||
    name === 'ExpiredTokenException' ||
    name === 'UnrecognizedClientException' ||
    name === 'InvalidClientTokenId'
  ) {
    return new CliError(
      `AWS refused the credentials (${what}: ${name}): they are expired or invalid; sign in again`,
      {
        cause: error,
      },
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'AuthorizationError') {
    return new CliError(
      `AWS denied ${what} (${name}): your role needs the permissions listed in docs/operations.md`,
      {
        cause: error,
      },
    );
  }
  return error;
}
