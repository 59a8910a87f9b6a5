/**
 * A signed Adobe I/O Events webhook delivery, end to end on this machine: a locally generated RSA
 * key pair stands in for I/O Events' signing keys, a loopback HTTP server publishes the public
 * keys the way `https://static.adobeioevents.com` does, and the failure alert is wrapped and signed
 * exactly as I/O Events would before the real ingress bundle receives it as a function URL event.
 *
 * `npm start -- --webhook` calls {@link runWebhookDemo}; the tests use the signer on its own.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { INGRESS_ENV } from '../contracts/environment';
import { inCloudEvents } from '../emulator/alerts';
import {
  freshRequire,
  type LambdaHandler,
  lambdaContext,
  loadHandler,
  type ModuleLoader,
} from './local-lambda';

/** The client id the demo registers as the webhook's recipient. */
export const DEMO_CLIENT_ID = 'aep-autoretry-demo-client';

/** A key server fault: answer every key request with this status, or never answer. */
export type KeyServerFault = { readonly status: number } | 'hang' | undefined;

/** Signs bodies like I/O Events and serves the public keys on loopback. */
export interface IoEventsSigner {
  /** `http://127.0.0.1:PORT`: the ingress's `IO_EVENTS_KEY_ORIGIN`. */
  readonly keyOrigin: string;
  /** The key paths of signature 1 and 2 (`/prod/keys/pub-key-<uuid>.pem`). */
  readonly keyPaths: readonly [string, string];
  /** The private keys of signature 1 and 2. */
  readonly privateKeys: readonly [KeyObject, KeyObject];
  /** The base64 RSA-SHA256 signature of `body` with key 1 (index 0) or 2 (index 1). */
  sign(body: string | Uint8Array, keyIndex?: 0 | 1): string;
  /** The signature and key-path headers I/O Events sends with `body`. */
  signatureHeaders(body: string | Uint8Array): Record<string, string>;
  /** Key requests the server answered, by path, since the start. */
  keyRequests(): readonly string[];
  /** Makes the key server fail until set back to undefined. */
  setFault(fault: KeyServerFault): void;
  close(): Promise<void>;
}

/** Generates two RSA key pairs and starts the key server on a free loopback port. */
export async function startIoEventsSigner(): Promise<IoEventsSigner> {
  const pairs = [0, 1].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const keyPaths = [0, 1].map(() => `/prod/keys/pub-key-${randomUUID()}.pem`) as [string, string];
  const pems = new Map(
    keyPaths.map((path, index) => [path, pairs[index]?.publicKey.export({ type: 'spki', format: 'pem' })]),
  );
  const requests: string[] = [];
  let fault: KeyServerFault;
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    if (fault === 'hang') return;
    if (fault) {
      response.writeHead(fault.status).end();
      return;
    }
    const pem = pems.get(path);
    if (request.method !== 'GET' || pem === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    // Like Adobe's: a PEM file and no cache-control header (reference 4.5).
    response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const privateKeys = pairs.map((pair) => pair.privateKey) as [KeyObject, KeyObject];

  const signWith = (body: string | Uint8Array, keyIndex: 0 | 1 = 0) =>
    sign(
      'rsa-sha256',
      typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      privateKeys[keyIndex],
    ).toString('base64');

  return {
    keyOrigin: `http://127.0.0.1:${port}`,
    keyPaths,
    privateKeys,
    sign: signWith,
    signatureHeaders: (body) => ({
      'x-adobe-digital-signature-1': signWith(body, 0),
      'x-adobe-digital-signature-2': signWith(body, 1),
      'x-adobe-public-key1-path': keyPaths[0],
      'x-adobe-public-key2-path': keyPaths[1],
    }),
    keyRequests: () => [...requests],
    setFault(next) {
      fault = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Parts of a function URL request. */
export interface FunctionUrlRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** Send the body base64-encoded, as function URLs do for non-text content types. @default false */
  readonly base64?: boolean;
}

/** The event a Lambda function URL hands the function for a request (payload format 2.0). */
export function functionUrlEvent(request: FunctionUrlRequest = {}): LambdaFunctionURLEvent {
  const method = request.method ?? 'POST';
  const query = request.query ?? {};
  const headers = { 'content-type': 'application/json', 'user-agent': 'Adobe/1.0', ...request.headers };
  const rawQueryString = new URLSearchParams(query).toString();
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local-function-url',
      domainName: 'local.lambda-url.us-east-1.on.aws',
      domainPrefix: 'local',
      http: {
        method,
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'],
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body === undefined
      ? {}
      : { body: request.base64 ? Buffer.from(request.body, 'utf8').toString('base64') : request.body }),
    isBase64Encoded: request.base64 === true,
  };
}

/** The ingress's environment for local resources, as the stack would set it. */
export function ingressEnvironment(
  resources: { readonly alertsTopicArn: string; readonly ledgerTableName: string },
  options: { readonly clientIds: readonly string[]; readonly keyOrigin: string },
): Record<string, string> {
  return {
    [INGRESS_ENV.alertsTopicArn]: resources.alertsTopicArn,
    [INGRESS_ENV.ledgerTableName]: resources.ledgerTableName,
    [INGRESS_ENV.clientIds]: options.clientIds.join(','),
    [INGRESS_ENV.keyOrigin]: options.keyOrigin,
    POWERTOOLS_SERVICE_NAME: 'aep-dataflow-autoretry',
    POWERTOOLS_METRICS_NAMESPACE: 'AepDataflowAutoRetry',
  };
}

/** A function URL answer, with the message ids the ingress published. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: string;
  /** SNS message ids the ingress reported publishing (empty when nothing was published). */
  readonly publishedMessageIds: readonly string[];
}

/** Invokes the ingress with a function URL event and reads its answer. */
export async function invokeIngress(
  handler: LambdaHandler,
  event: LambdaFunctionURLEvent,
): Promise<WebhookAnswer> {
  const result = (await handler(event, lambdaContext(8000, 'aep-dataflow-autoretry-ingress'))) as Exclude<
    LambdaFunctionURLResult,
    string
  >;
  const body = typeof result.body === 'string' ? result.body : '';
  let publishedMessageIds: string[] = [];
  try {
    const parsed = JSON.parse(body) as { messageIds?: unknown };
    if (Array.isArray(parsed.messageIds)) publishedMessageIds = parsed.messageIds.map(String);
  } catch {
    // The challenge answer is plain text.
  }
  return { status: result.statusCode ?? 200, body, publishedMessageIds };
}

/** Options of {@link runWebhookDemo}. */
export interface WebhookDemoOptions {
  /** The ingress bundle, e.g. `dist/ingress/index.js` (`npm run build` makes it). */
  readonly bundleFile: string;
  /** Where the ingress publishes and records events: the sandbox's moto resources. */
  readonly resources: { readonly alertsTopicArn: string; readonly ledgerTableName: string };
  /** The AEP alert payload to deliver, e.g. `failureAlertFor(run, flow)` from `emulator/alerts`. */
  readonly alert: Parameters<typeof inCloudEvents>[0];
  /** The registration's client id. @default DEMO_CLIENT_ID */
  readonly clientId?: string;
  /** The I/O event id (`x-adobe-event-id`). @default a random UUID */
  readonly eventId?: string;
  /** Loads the bundle as a new container; jest passes its own. @default freshRequire */
  readonly loader?: ModuleLoader;
}

/** What {@link runWebhookDemo} saw. */
export interface WebhookDemoResult {
  readonly eventId: string;
  /** The `GET ?challenge=` handshake: status and whether the challenge came back. */
  readonly challenge: { readonly status: number; readonly echoed: boolean };
  /** The signed delivery: expect 200 and one published message id. */
  readonly delivery: WebhookAnswer;
  /** The same delivery again (I/O Events redelivers): expect 200 and nothing published. */
  readonly redelivery: WebhookAnswer;
  /** The same body signed with a key the key server does not publish: expect 401. */
  readonly forged: WebhookAnswer;
}

/**
 * Runs the demo: key pair and key server, the challenge, one signed CloudEvents delivery of
 * `alert`, its redelivery and a forged copy, against the real ingress bundle. The published alert
 * waits on the alerts topic for the caller to deliver to the retrier.
 */
export async function runWebhookDemo(options: WebhookDemoOptions): Promise<WebhookDemoResult> {
  const signer = await startIoEventsSigner();
  try {
    const clientId = options.clientId ?? DEMO_CLIENT_ID;
    const eventId = options.eventId ?? randomUUID();
    const handler = loadHandler(
      options.bundleFile,
      ingressEnvironment(options.resources, { clientIds: [clientId], keyOrigin: signer.keyOrigin }),
      options.loader ?? freshRequire,
    );

    const challengeValue = randomUUID();
    const challenge = await invokeIngress(
      handler,
      functionUrlEvent({ method: 'GET', query: { challenge: challengeValue } }),
    );

    const body = JSON.stringify(inCloudEvents(options.alert, { eventId, recipientClientId: clientId }));
    const headers = {
      ...signer.signatureHeaders(body),
      'x-adobe-event-id': eventId,
      'x-adobe-delivery-id': randomUUID(),
      'x-adobe-event-code': options.alert.header._adobeio.eventCode,
      'x-adobe-provider': 'aep_observability_catalog_events',
    };
    const delivery = await invokeIngress(handler, functionUrlEvent({ body, headers }));
    const redelivery = await invokeIngress(
      handler,
      functionUrlEvent({
        body,
        headers: { ...headers, 'x-adobe-delivery-id': randomUUID(), 'x-adobe-retry-count': '1' },
      }),
    );

    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forgedSignature = sign('rsa-sha256', Buffer.from(body, 'utf8'), stranger).toString('base64');
    const forged = await invokeIngress(
      handler,
      functionUrlEvent({
        body,
        headers: {
          'x-adobe-digital-signature-1': forgedSignature,
          'x-adobe-public-key1-path': signer.keyPaths[0],
          'x-adobe-event-id': randomUUID(),
        },
      }),
    );

    return {
      eventId,
      challenge: { status: challenge.status, echoed: challenge.body === challengeValue },
      delivery,
      redelivery,
      forged,
    };
  } finally {
    await signer.close();
  }
}
