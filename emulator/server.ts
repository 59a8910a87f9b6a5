/**
 * The Flow Service + IMS emulator: a real HTTP server (node:http only) faithful to Adobe's
 * documented API, with an admin API, fault injection and a call log. See emulator/README.md.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_BASE, handleAdmin } from './admin';
import { FLOW_SERVICE_BASE, flowServiceRoute, handleFlowService } from './flow-service';
import { handleImsToken, IMS_TOKEN_PATH } from './ims';
import { FLOW, faultBody, json, type Reply } from './replies';
import { EmulatorState } from './state';
import type { EmulatorSettings, FaultRule } from './types';

/** Options of {@link startEmulator}; the settings can change later through `state.configure`. */
export interface EmulatorOptions extends Partial<EmulatorSettings> {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/** A running emulator. */
export interface Emulator {
  /** Origin, e.g. `http://127.0.0.1:54321`; the admin API is under `/__admin`. */
  readonly url: string;
  /** Value for `FLOW_SERVICE_URL`: origin + `/data/foundation/flowservice`. */
  readonly flowServiceUrl: string;
  /** Value for `IMS_TOKEN_URL`: origin + `/ims/token/v3`. */
  readonly imsTokenUrl: string;
  /** Programmatic access to everything the admin API does. */
  readonly state: EmulatorState;
  /** Stops listening, ends open (keep-alive) connections and pending delays. */
  close(): Promise<void>;
}

/** Largest request body read; the emulated endpoints take tiny bodies. */
const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits, unless the emulator closes first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function send(response: ServerResponse, reply: Reply, requestId?: string): void {
  if (response.destroyed || response.writableEnded) return;
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    ...(body ? { 'content-type': 'application/json;charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(body),
    ...(requestId ? { 'x-request-id': requestId } : {}),
    ...reply.headers,
  });
  response.end(body);
}

function faultReply(rule: FaultRule, requestId: string, ims: boolean): Reply {
  const status = rule.status ?? 500;
  return json(
    status,
    rule.body !== undefined ? rule.body : faultBody(status, requestId, ims),
    rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : undefined,
  );
}

function headerValue(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? null : text;
}

/**
 * Starts an emulator.
 * @example
 * const emulator = await startEmulator();
 * emulator.state.addCredential({ clientId: 'c', clientSecret: 's', orgId: 'O@AdobeOrg' });
 * // ... point FLOW_SERVICE_URL / IMS_TOKEN_URL at emulator.flowServiceUrl / emulator.imsTokenUrl
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port = 0, host = '127.0.0.1', ...settings } = options;
  const state = new EmulatorState(settings);
  const lifetime = new AbortController();

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const at = new Date().toISOString();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const body = await readBody(request);

    if (path === ADMIN_BASE || path.startsWith(`${ADMIN_BASE}/`)) {
      send(
        response,
        handleAdmin(state, { method, path: path.slice(ADMIN_BASE.length), query: url.searchParams, body }),
      );
      return;
    }

    const requestId = randomUUID();
    const isFlowService = path === FLOW_SERVICE_BASE || path.startsWith(`${FLOW_SERVICE_BASE}/`);
    const isIms = path.startsWith('/ims/');
    const subPath = isFlowService ? path.slice(FLOW_SERVICE_BASE.length) || '/' : path;
    const route = isFlowService
      ? flowServiceRoute(method, subPath).name
      : path === IMS_TOKEN_PATH
        ? 'ims.token'
        : 'unknown';
    const caller: { clientId?: string } = {};

    const handle = (): Reply => {
      if (isFlowService) {
        return handleFlowService(
          state,
          { method, path: subPath, query: url.searchParams, headers: request.headers, requestId },
          caller,
        );
      }
      if (path === IMS_TOKEN_PATH) {
        return handleImsToken(
          state,
          { method, query: url.searchParams, headers: request.headers, body },
          caller,
        );
      }
      return json(404, { error_code: '404000', message: `Not Found: ${path}` });
    };

    await sleep(state.settings.latencyMs, lifetime.signal);
    const fault = state.takeFault(method, subPath);
    let reply: Reply;
    if (fault && !fault.applyEffect) {
      await sleep(fault.delayMs ?? 0, lifetime.signal);
      reply = fault.status !== undefined ? faultReply(fault, requestId, isIms) : handle();
    } else {
      reply = handle();
      if (fault) {
        // The request took effect; the client sees slowness and/or an error anyway.
        await sleep(fault.delayMs ?? 0, lifetime.signal);
        if (fault.status !== undefined) reply = faultReply(fault, requestId, isIms);
      }
    }
    send(response, reply, requestId);
    state.recordCall({
      at,
      method,
      path,
      query: url.searchParams,
      route,
      status: reply.status,
      sandbox: headerValue(request, 'x-sandbox-name'),
      org: headerValue(request, 'x-gw-ims-org-id'),
      ...(caller.clientId ? { clientId: caller.clientId } : {}),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(fault ? { faultId: fault.id } : {}),
    });
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      const status = error instanceof BodyTooLargeError ? 413 : 500;
      const reply =
        status === 413
          ? json(413, { error_code: '413000', message: 'Request body too large' })
          : FLOW.internal(randomUUID());
      // The emulator is a test tool: show why it failed, then answer as Flow Service would.
      if (status === 500) console.error('emulator: unexpected error', error);
      send(response, reply);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    flowServiceUrl: `${origin}${FLOW_SERVICE_BASE}`,
    imsTokenUrl: `${origin}${IMS_TOKEN_PATH}`,
    state,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        lifetime.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (fetch keeps them) would hold the process open otherwise.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
