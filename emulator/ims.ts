/**
 * The emulated IMS token endpoint for OAuth Server-to-Server credentials (reference 3.1, 3.6):
 * `POST /ims/token/v3`, form-encoded, four mandatory parameters.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { imsError, json, type Reply } from './replies';
import type { EmulatorState } from './state';

/** Path of the token endpoint. */
export const IMS_TOKEN_PATH = '/ims/token/v3';

const REQUIRED = ['grant_type', 'client_id', 'client_secret', 'scope'] as const;

/**
 * Handles a token request. Parameters may come in the body or the query (both are documented;
 * the body wins).
 * @param caller receives the client id for the call log (never the secret)
 */
export function handleImsToken(
  state: EmulatorState,
  request: { method: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string },
  caller: { clientId?: string },
): Reply {
  if (request.method !== 'POST') {
    return imsError(405, 'invalid_request', 'The token endpoint accepts POST only.');
  }
  const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
  if (request.body.trim() !== '' && !contentType.startsWith('application/x-www-form-urlencoded')) {
    return imsError(400, 'invalid_request', 'The body must be sent as application/x-www-form-urlencoded.');
  }
  const params = new URLSearchParams(request.query);
  for (const [key, value] of new URLSearchParams(request.body)) params.set(key, value);

  const clientId = params.get('client_id') ?? '';
  if (clientId) caller.clientId = clientId;
  const missing = REQUIRED.filter((name) => (params.get(name) ?? '').trim() === '');
  if (missing.length > 0) {
    return imsError(400, 'invalid_request', `Missing required parameter(s): ${missing.join(', ')}.`);
  }
  if (params.get('grant_type') !== 'client_credentials') {
    return imsError(400, 'unsupported_grant_type', 'The grant_type must be client_credentials.');
  }
  const check = state.checkClient(clientId, params.get('client_secret') ?? '', params.get('scope') ?? '');
  if (!check.ok) {
    switch (check.reason) {
      case 'unknown_client':
        return imsError(401, 'invalid_client', 'Client ID does not exist.');
      case 'wrong_secret':
        return imsError(401, 'invalid_client', 'Invalid client secret.');
      case 'invalid_scope':
        return imsError(400, 'invalid_scope', 'One or more requested scopes are not granted to this client.');
    }
  }
  return json(200, state.issueToken(clientId));
}
