/**
 * The error taxonomy. Every error the retrier's parts throw is an {@link AutoRetryError} with a
 * `kind`; the handler alone turns a kind into "throw so Lambda retries" or "publish and return".
 *
 * Messages say what failed, name the thing (run id, HTTP status, method and path) and the fix.
 * They never hold a secret, a token or an Authorization header.
 */

/**
 * - `transient`: may pass by itself (429, 5xx, timeouts, throttled AWS calls). The alert is kept:
 *   the handler throws so Lambda's async retries and the on-failure queue hold it.
 * - `configuration`: the deployment is wrong (malformed secret, IMS refused the credential,
 *   missing permission). The alert is kept the same way; an operator fixes it and redrives.
 * - `permanent`: this alert cannot succeed (run not found, unexpected answer): outcome `failed`.
 * - `refused`: Adobe refused the re-trigger for good (FLOW-1387/1388/1333-400): `not_retryable`.
 */
export type ErrorKind = 'transient' | 'configuration' | 'permanent' | 'refused';

/** Options every error of the taxonomy takes. */
export interface AutoRetryErrorOptions {
  readonly kind: ErrorKind;
  readonly cause?: unknown;
}

/** The base of the taxonomy. */
export class AutoRetryError extends Error {
  override name = 'AutoRetryError';
  readonly kind: ErrorKind;

  constructor(message: string, options: AutoRetryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
  }

  /** True when trying again later may succeed. */
  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** Details of a failed Flow Service call. */
export interface FlowServiceErrorOptions extends AutoRetryErrorOptions {
  readonly method: string;
  /** Path below the Flow Service base URL, with its query, e.g. `/runs/abc/action?op=re-trigger`. */
  readonly path: string;
  /** HTTP status, absent when no response came (timeout, network). */
  readonly status?: number;
  /** Adobe's code: the last segment of `type` (`FLOW-1388-400`) or the gateway `error_code` (`401013`). */
  readonly code?: string;
  /** True when the request may have taken effect although no success was seen (POST timeout, 5xx). */
  readonly ambiguous?: boolean;
}

/** A Flow Service call that did not succeed. */
export class FlowServiceError extends AutoRetryError {
  override name = 'FlowServiceError';
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly code?: string;
  readonly ambiguous: boolean;

  constructor(message: string, options: FlowServiceErrorOptions) {
    super(message, options);
    this.method = options.method;
    this.path = options.path;
    this.status = options.status;
    this.code = options.code;
    this.ambiguous = options.ambiguous ?? false;
  }
}

/** Details of a failed IMS token request. */
export interface ImsErrorOptions extends AutoRetryErrorOptions {
  readonly status?: number;
  /** The OAuth `error` field, e.g. `invalid_client`. */
  readonly code?: string;
  readonly clientId?: string;
}

/** The IMS token endpoint did not give a token. */
export class ImsError extends AutoRetryError {
  override name = 'ImsError';
  readonly status?: number;
  readonly code?: string;

  constructor(message: string, options: ImsErrorOptions) {
    super(message, options);
    this.status = options.status;
    this.code = options.code;
  }
}

/** The credential secret could not be read or is malformed. */
export class CredentialsError extends AutoRetryError {
  override name = 'CredentialsError';
}

/** A call to an AWS service (DynamoDB, SNS, SQS) failed. */
export class AwsCallError extends AutoRetryError {
  override name = 'AwsCallError';
}

/** Run error codes from Adobe's catalog that refuse a re-trigger for good. */
export const REFUSAL_CODES: Readonly<Record<string, string>> = {
  'FLOW-1387-400': 'the run is in a state that cannot be re-triggered',
  'FLOW-1388-400': 'the dataflow is not enabled',
  'FLOW-1333-400': 'the source does not support re-triggering (streaming source)',
};

/** True for errors of the taxonomy. */
export function isAutoRetryError(error: unknown): error is AutoRetryError {
  return error instanceof AutoRetryError;
}

/**
 * Wraps anything thrown into the taxonomy. Unknown errors count as transient: the alert is kept
 * and Lambda retries, which is the safe side for an unforeseen fault.
 */
export function toAutoRetryError(error: unknown, context: string): AutoRetryError {
  if (isAutoRetryError(error)) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new AutoRetryError(`${context}: ${message}`, { kind: 'transient', cause: error });
}
