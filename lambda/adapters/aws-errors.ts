/**
 * Maps AWS SDK errors into the taxonomy: what a retry can fix (throttling, 5xx, network) is
 * `transient`; a missing resource or permission is `configuration`.
 */
import { AwsCallError } from '../core/errors';

const CONFIGURATION_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'NotFound',
  'NotFoundException',
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'InvalidParameter',
  'InvalidParameterException',
  'ValidationException',
  'KMSAccessDenied',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
]);

/** The error's AWS name (`ConditionalCheckFailedException`, ...), or undefined. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Wraps an AWS SDK error.
 * @param what the call in words, e.g. `publishing to topic arn:...`
 * @param fix what to do when the error is a configuration one
 */
export function awsCallError(error: unknown, what: string, fix: string): AwsCallError {
  const name = awsErrorName(error) ?? 'Error';
  const detail = error instanceof Error ? error.message : String(error);
  const configuration = CONFIGURATION_ERRORS.has(name);
  return new AwsCallError(`${what} failed: ${name}: ${detail}${configuration ? `. ${fix}` : ''}`, {
    kind: configuration ? 'configuration' : 'transient',
    cause: error,
  });
}
