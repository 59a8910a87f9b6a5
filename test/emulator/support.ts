/**
 * Helpers for the emulator's tests: a started emulator with one credential, tokens over real IMS
 * calls, and Flow Service calls with the four platform headers.
 */
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server';
import type { CredentialInput } from '../../emulator/types';

/** The test org. */
export const ORG = 'A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg';
/** The test credential; its secret is asserted absent from the call log. */
export const CLIENT: CredentialInput = {
  clientId: 'emulator-test-client',
  clientSecret: 'test-secret-7f3a9c',
  orgId: ORG,
};
/** The sandbox the tests' flows live in. */
export const SANDBOX = 'prod';

/** Starts an emulator that knows {@link CLIENT}. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  emulator.state.addCredential(CLIENT);
  return emulator;
}

/** The form body of a token request. */
export function tokenForm(
  credential: CredentialInput = CLIENT,
  overrides: Record<string, string> = {},
): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    scope: 'openid,AdobeID,read_organizations',
    ...overrides,
  }).toString();
}

/** Asks the emulated IMS for a token. */
export async function requestToken(emulator: Emulator, body: string): Promise<Response> {
  return fetch(emulator.imsTokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

/** A fresh access token for the credential, minted over HTTP. */
export async function tokenFor(emulator: Emulator, credential: CredentialInput = CLIENT): Promise<string> {
  const response = await requestToken(emulator, tokenForm(credential));
  if (response.status !== 200) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The headers every Flow Service call needs. */
export function platformHeaders(token: string, credential: CredentialInput = CLIENT, sandbox = SANDBOX) {
  return {
    authorization: `Bearer ${token}`,
    'x-api-key': credential.clientId,
    'x-gw-ims-org-id': credential.orgId,
    'x-sandbox-name': sandbox,
  };
}

/** A parsed Flow Service answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  readonly body: any;
}

/** Calls Flow Service; `path` is below the base, e.g. `/runs/abc`. */
export async function callFlowService(
  emulator: Emulator,
  path: string,
  init: { method?: string; headers: Record<string, string> },
): Promise<Answer> {
  const response = await fetch(`${emulator.flowServiceUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: init.headers,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A batch flow and a failed run of it in the test org and sandbox. */
export function addFailedRun(
  emulator: Emulator,
  flowInput: { state?: string; sourceKind?: 'batch' | 'streaming' } = {},
) {
  const flow = emulator.state.addFlow({ sandboxName: SANDBOX, orgId: ORG, ...flowInput });
  const run = emulator.state.addRun({ flowId: flow.id });
  return { flow, run };
}
