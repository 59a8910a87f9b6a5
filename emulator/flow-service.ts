/**
 * The emulated Flow Service: the gateway's header checks (reference 2.2), then runs, flows and the
 * re-trigger action (1.2 to 1.5) with Adobe's error shapes (2.3).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FLOW, GATEWAY, json, type Reply } from './replies';
import { pageRuns, parseRunQuery } from './runs-query';
import type { EmulatorState, Scope, TokenGrant } from './state';
import type { RunObject } from './types';

/** Base path of Flow Service on the platform gateway. */
export const FLOW_SERVICE_BASE = '/data/foundation/flowservice';

/** The two documented spellings of the re-trigger action (reference README). */
const RETRIGGER_OPS = new Set(['re-trigger', 'RE_TRIGGER']);

/** A Flow Service request, below the base path. */
export interface FlowServiceRequest {
  readonly method: string;
  /** The path below {@link FLOW_SERVICE_BASE}, e.g. `/runs/abc`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
}

/** A route of the emulated Flow Service, with its path parameter. */
export type FlowServiceRoute =
  | { readonly name: 'runs.list' }
  | { readonly name: 'runs.get'; readonly id: string }
  | { readonly name: 'runs.action'; readonly id: string }
  | { readonly name: 'flows.get'; readonly id: string }
  | { readonly name: 'flowservice.other'; readonly allow?: string };

/** Names the route of a request below the base path. */
export function flowServiceRoute(method: string, path: string): FlowServiceRoute {
  const parts = path.split('/').filter((part) => part !== '');
  const [collection, id, action] = parts.map((part) => decodeURIComponent(part));
  if (collection === 'runs' && parts.length === 1) {
    return method === 'GET' ? { name: 'runs.list' } : { name: 'flowservice.other', allow: 'GET' };
  }
  if (collection === 'runs' && id && parts.length === 2) {
    return method === 'GET' ? { name: 'runs.get', id } : { name: 'flowservice.other', allow: 'GET' };
  }
  if (collection === 'runs' && id && action === 'action' && parts.length === 3) {
    return method === 'POST' ? { name: 'runs.action', id } : { name: 'flowservice.other', allow: 'POST' };
  }
  if (collection === 'flows' && id && parts.length === 2) {
    return method === 'GET' ? { name: 'flows.get', id } : { name: 'flowservice.other', allow: 'GET' };
  }
  return { name: 'flowservice.other' };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The caller a request was authenticated as, for the call log. */
export interface Caller {
  clientId?: string;
}

/**
 * The gateway's checks, in the documented order: token, API key, org header, org match, sandbox.
 * @returns the scope and grant, or the refusal to answer
 */
export function checkGateway(
  state: EmulatorState,
  request: FlowServiceRequest,
  caller: Caller,
): { readonly scope: Scope; readonly grant: TokenGrant } | { readonly refusal: Reply } {
  const { headers, requestId } = request;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
  const apiKey = header(headers, 'x-api-key');
  if (apiKey) caller.clientId = apiKey;
  if (!bearer?.[1]) return { refusal: GATEWAY.tokenMissing() };
  const grant = state.resolveToken(bearer[1]);
  if (!grant) return { refusal: GATEWAY.tokenInvalid() };
  caller.clientId = grant.clientId;
  if (!apiKey) return { refusal: GATEWAY.apiKeyMissing() };
  if (apiKey !== grant.clientId) return { refusal: GATEWAY.apiKeyInvalid() };
  const orgId = header(headers, 'x-gw-ims-org-id');
  if (!orgId) return { refusal: GATEWAY.orgMissing() };
  if (orgId !== grant.orgId) return { refusal: FLOW.orgForbidden(requestId, orgId) };
  const sandboxName = header(headers, 'x-sandbox-name');
  if (!sandboxName) return { refusal: FLOW.sandboxMissing(requestId) };
  return { scope: { orgId, sandboxName }, grant };
}

/** Handles a Flow Service request, gateway checks included. */
export function handleFlowService(state: EmulatorState, request: FlowServiceRequest, caller: Caller): Reply {
  const checked = checkGateway(state, request, caller);
  if ('refusal' in checked) return checked.refusal;
  const { scope, grant } = checked;
  const route = flowServiceRoute(request.method, request.path);
  switch (route.name) {
    case 'runs.list':
      return listRuns(state, request, scope);
    case 'runs.get': {
      const run = state.findRun(route.id, scope);
      return run
        ? json(200, { items: [run], _links: {} })
        : FLOW.notFound(request.requestId, 'runs', route.id);
    }
    case 'flows.get': {
      const flow = state.findFlow(route.id, scope);
      return flow ? json(200, { items: [flow] }) : FLOW.notFound(request.requestId, 'flows', route.id);
    }
    case 'runs.action':
      return retrigger(state, request, scope, grant, route.id);
    case 'flowservice.other':
      return route.allow
        ? json(405, { error_code: '405000', message: 'Method Not Allowed' }, { allow: route.allow })
        : FLOW.notFound(
            request.requestId,
            request.path.startsWith('/flows') ? 'flows' : 'runs',
            request.path,
          );
  }
}

function listRuns(state: EmulatorState, request: FlowServiceRequest, scope: Scope): Reply {
  const parsed = parseRunQuery(request.query, state.settings.pageSize);
  if ('limitAndCount' in parsed) return FLOW.limitAndCount(request.requestId);
  if ('error' in parsed) return FLOW.invalidRequest(request.requestId, parsed.error);
  const page = pageRuns(state.runsInScope(scope), parsed.query);
  if (parsed.query.count) return json(200, { count: page.total });
  // The href is relative to the service base, as in the spec's PageLink example.
  const links = page.next ? { next: { href: `/runs?continuationToken=${page.next}` } } : {};
  return json(200, { items: page.items, _links: links });
}

function stripQuotes(value: string): string {
  return value.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function ingestedRecords(run: RunObject): number {
  return run.metrics.recordSummary.outputRecordCount ?? 0;
}

function retrigger(
  state: EmulatorState,
  request: FlowServiceRequest,
  scope: Scope,
  grant: TokenGrant,
  runId: string,
): Reply {
  const { requestId } = request;
  const op = request.query.get('op');
  if (op === null || !RETRIGGER_OPS.has(op)) return FLOW.actionNotSupported(requestId, op);
  const run = state.findRun(runId, scope);
  if (!run) return FLOW.notFound(requestId, 'runs', runId);
  const ifMatch = header(request.headers, 'if-match');
  if (ifMatch !== undefined && ifMatch !== '*' && stripQuotes(ifMatch) !== stripQuotes(run.etag ?? '')) {
    return FLOW.versionMismatch(requestId, ifMatch, run.id);
  }
  const flow = state.findFlow(run.flowId, scope);
  if (!flow) return FLOW.notFound(requestId, 'flows', run.flowId);
  if (flow.state !== 'enabled') return FLOW.flowNotEnabled(requestId, flow.id, flow.state);
  if (state.sourceKindOf(flow.id) !== 'batch') {
    const specId = flow.inheritedAttributes.sourceConnections[0]?.connectionSpec.id ?? flow.flowSpec.id;
    return FLOW.actionNotSupportedForSource(requestId, op, specId);
  }
  const status = run.metrics.statusSummary.status;
  // Documented: failed runs, and successful runs that ingested nothing (reference 1.2).
  const allowed = status === 'failed' || (status === 'success' && ingestedRecords(run) === 0);
  if (!allowed) return FLOW.invalidRunState(requestId, run.id, status);

  const created = state.createRetriggeredRun(run.id, grant.clientId);
  if (state.settings.retriggerResponse === 'run') {
    const { etag, ...rest } = created;
    return json(200, { ...rest, eTag: etag });
  }
  return json(200, { id: created.id, etag: created.etag });
}
