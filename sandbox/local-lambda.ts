/**
 * Runs a bundled function in this process the way Lambda would: a fresh module per "container"
 * (environment read at its cold start), a context with a deadline, asynchronous invocation with
 * retries and an on-failure destination, and SQS batches with partial failures.
 */
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';

/** A handler as a bundle exports it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Loads a module afresh (a new container). Jest tests pass one built on `jest.isolateModules`. */
export type ModuleLoader = (file: string) => { handler: LambdaHandler };

const nodeRequire = createRequire(__filename);

/** Loads with Node's require, dropping the cached copy first so each load is a cold start. */
export const freshRequire: ModuleLoader = (file) => {
  delete nodeRequire.cache[nodeRequire.resolve(file)];
  return nodeRequire(file) as { handler: LambdaHandler };
};

/**
 * Starts a "container" of the bundled function: sets `env` in `process.env` (the bundle reads it
 * at import, as at a cold start) and loads the module.
 */
export function loadHandler(
  file: string,
  env: Record<string, string>,
  load: ModuleLoader = freshRequire,
): LambdaHandler {
  Object.assign(process.env, env);
  const loaded = load(file);
  if (typeof loaded.handler !== 'function') throw new Error(`${file} does not export a handler function`);
  return loaded.handler;
}

let requests = 0;

/** A Lambda context whose deadline is `timeoutMs` from now. */
export function lambdaContext(timeoutMs = 60_000, functionName = 'aep-dataflow-autoretry-retrier'): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = `local-${process.pid}-${++requests}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The record Lambda sends to an on-failure destination once retries are spent. */
export interface OnFailureRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  readonly responsePayload: { readonly errorType: string; readonly errorMessage: string };
}

/** What an asynchronous invocation came to. */
export interface AsyncInvocation {
  readonly attempts: number;
  /** Set when every attempt threw: what Lambda would send to the on-failure destination. */
  readonly onFailure?: OnFailureRecord;
}

/**
 * Invokes like an asynchronous (SNS) invocation: when the handler throws, Lambda retries it
 * (`retryAttempts`, 2 by default, after `retryDelayMs`), then gives the event to the on-failure
 * destination.
 */
export async function invokeAsync(
  handler: LambdaHandler,
  event: unknown,
  options: { retryAttempts?: number; retryDelayMs?: number; timeoutMs?: number } = {},
): Promise<AsyncInvocation> {
  const retryAttempts = options.retryAttempts ?? 2;
  let lastError: unknown;
  for (let attempt = 1; attempt <= retryAttempts + 1; attempt++) {
    if (attempt > 1 && options.retryDelayMs)
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
    try {
      await handler(event, lambdaContext(options.timeoutMs));
      return { attempts: attempt };
    } catch (error) {
      lastError = error;
    }
  }
  const error = lastError instanceof Error ? lastError : new Error(String(lastError));
  const context = lambdaContext(options.timeoutMs);
  return {
    attempts: retryAttempts + 1,
    onFailure: {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: context.awsRequestId,
        functionArn: context.invokedFunctionArn,
        condition: 'RetriesExhausted',
        approximateInvokeCount: retryAttempts + 1,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: error.name, errorMessage: error.message },
    },
  };
}
