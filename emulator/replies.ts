/**
 * Answers the emulator sends, in the shapes Adobe documents: gateway errors (reference 2.2),
 * Flow Service errors (2.3 and the catalogs of 1.2), IMS errors (3.6, RFC 6749 shape).
 */

/** An answer, built before it is sent so faults can replace or delay it. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, ...(headers ? { headers } : {}) };
}

/** A gateway error: `{"error_code","message"}`, answered before Flow Service sees the request. */
export function gatewayError(status: number, errorCode: string, message: string): Reply {
  return json(status, { error_code: errorCode, message });
}

/** Gateway refusals, in the order the gateway checks (reference 2.2). */
export const GATEWAY = {
  tokenMissing: () => gatewayError(403, '403010', 'Oauth token is missing.'),
  tokenInvalid: () => gatewayError(401, '401013', 'Oauth token is not valid'),
  apiKeyMissing: () => gatewayError(403, '403000', 'Api Key is required'),
  apiKeyInvalid: () => gatewayError(403, '403003', 'Api Key is invalid'),
  orgMissing: () => gatewayError(400, '400003', 'Missing header'),
  tooManyRequests: () => gatewayError(429, '429050', 'Too many requests'),
} as const;

/**
 * A Flow Service error in the documented shape:
 * `{type, title, status, report: {"detailed-message", ...}, errorMessage, errorDetails}`.
 * @param code the catalog code without prefix, e.g. `1388-400`
 */
export function flowError(
  code: string,
  title: string,
  detailedMessage: string,
  requestId: string,
  report: Record<string, unknown> = {},
): Reply {
  const status = Number(code.slice(code.lastIndexOf('-') + 1));
  return json(status, {
    type: `https://ns.adobe.com/aep/errors/FLOW-${code}`,
    title,
    status,
    report: { 'detailed-message': detailedMessage, ...report, 'request-id': requestId },
    errorMessage: detailedMessage,
    errorDetails: detailedMessage,
  });
}

/** Flow Service refusals used by the emulator, with the catalogs' titles and messages. */
export const FLOW = {
  notFound: (requestId: string, type: 'runs' | 'flows', id: string) =>
    flowError(
      '1101-404',
      'Resource not found',
      `The requested ${type} resource ${id} is not found. Verify the resource ID before trying again.`,
      requestId,
      { id, type },
    ),
  internal: (requestId: string) =>
    flowError(
      '1102-500',
      'Internal Error',
      'An internal error has occurred. Please try again. If the problem persists, please contact customer support.',
      requestId,
    ),
  unavailable: (requestId: string) =>
    flowError(
      '1103-503',
      'Service Unavailable',
      'The service is temporarily unavailable. Please try again. If the problem persists, please contact customer support.',
      requestId,
    ),
  gatewayTimeout: (requestId: string) =>
    flowError(
      '1104-504',
      'Gateway Timeout',
      'A gateway timeout has occurred. Please try again. If the problem persists, please contact customer support.',
      requestId,
    ),
  invalidRequest: (requestId: string, message: string) =>
    flowError('1100-400', 'Invalid request', message, requestId),
  limitAndCount: (requestId: string) =>
    flowError(
      '1401-400',
      'Invalid request',
      'The limit and count parameters cannot be given together in the same request. Please provide either only the limit or the count parameter and try again.',
      requestId,
    ),
  actionNotSupported: (requestId: string, action: string | null) =>
    flowError(
      '1401-400',
      'Bad Request',
      `The provided flow run action=${action} is not supported. Please provide a valid flow run action and try again.`,
      requestId,
    ),
  versionMismatch: (requestId: string, supplied: string, id: string) =>
    flowError(
      '1404-412',
      'Version not matching',
      `The supplied version '${supplied}' does not match the current version on entity '${id}'. Please retrieve the latest version and try again.`,
      requestId,
    ),
  flowNotEnabled: (requestId: string, flowId: string, state: string) =>
    flowError(
      '1388-400',
      'Bad Request',
      `The flow=${flowId} is in state=${state} and cannot be re-triggered. The flow must be in enabled state for re-triggering.`,
      requestId,
    ),
  actionNotSupportedForSource: (requestId: string, action: string, specId: string) =>
    flowError(
      '1333-400',
      'Bad Request',
      `The flowRunAction=${action} is not supported for source with spec id=${specId}. Please provide valid flow run action and try again.`,
      requestId,
    ),
  invalidRunState: (requestId: string, runId: string, state: string) =>
    flowError(
      '1387-400',
      'Bad Request',
      `The flowRunId=${runId} is in an invalid state=${state} for re-triggering. Please try again after some time and contact customer support if the problem persists.`,
      requestId,
    ),
  sandboxMissing: (requestId: string) =>
    flowError(
      '2105-400',
      'Bad Request',
      'The header x-sandbox-name is missing in the request. Please provide the header and try again.',
      requestId,
    ),
  orgForbidden: (requestId: string, orgId: string) =>
    flowError(
      '2118-403',
      'Forbidden',
      `The access token does not grant access to the organization ${orgId} given in x-gw-ims-org-id. Use a token of a credential of that organization.`,
      requestId,
    ),
} as const;

/** An IMS error in the RFC 6749 shape. */
export function imsError(status: number, error: string, description: string): Reply {
  return json(status, { error, error_description: description });
}

/** The default answer of a fault rule with no `body`. */
export function faultBody(status: number, requestId: string, ims: boolean): unknown {
  if (status === 429) return GATEWAY.tooManyRequests().body;
  if (ims && status >= 500) {
    return {
      error: 'server_error',
      error_description: 'The server is temporarily unable to handle the request.',
    };
  }
  if (status === 503) return FLOW.unavailable(requestId).body;
  if (status === 504) return FLOW.gatewayTimeout(requestId).body;
  if (status >= 500) return { ...(FLOW.internal(requestId).body as Record<string, unknown>), status };
  return { error_code: `${status}000`, message: 'Injected fault' };
}
