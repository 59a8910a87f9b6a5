/**
 * The admin API under `/__admin`: set up credentials, flows and runs, end runs, inject faults,
 * read the call log and counters. No auth: the emulator listens on loopback for tests and tools.
 */
import { json, type Reply } from './replies';
import { EmulatorInputError, EmulatorNotFoundError, type EmulatorState } from './state';

/** Path prefix of the admin API. */
export const ADMIN_BASE = '/__admin';

function parseBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw new EmulatorInputError('the body must be JSON');
  }
}

function notFound(method: string, path: string): Reply {
  return json(404, { error: `no admin route ${method} ${path}; see emulator/README.md` });
}

/** Handles an admin request. `path` is below {@link ADMIN_BASE}. */
export function handleAdmin(
  state: EmulatorState,
  request: { method: string; path: string; query: URLSearchParams; body: string },
): Reply {
  const { method, path, query } = request;
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  const [collection, id, action] = parts;
  try {
    const body = () => parseBody(request.body) as never;
    // `tokens/expire` is a literal path; elsewhere the second segment is an id.
    const second = parts.length > 1 ? (collection === 'tokens' ? id : ':id') : undefined;
    const key = [`${method} ${collection ?? ''}`, second, action, ...parts.slice(3)]
      .filter(Boolean)
      .join('/');
    switch (key) {
      case 'POST reset':
        state.reset();
        return json(200, { ok: true });
      case 'GET settings':
        return json(200, state.settings);
      case 'POST settings':
        return json(200, state.configure(body()));
      case 'POST credentials':
        return json(201, state.addCredential(body()));
      case 'POST tokens': {
        const { clientId } = body() as { clientId?: unknown };
        if (typeof clientId !== 'string') throw new EmulatorInputError('clientId must be a string');
        return json(201, state.issueToken(clientId));
      }
      case 'POST tokens/expire':
        return json(200, { expired: state.expireTokens() });
      case 'GET flows':
        return json(200, { items: state.listFlows() });
      case 'POST flows':
        return json(201, state.addFlow(body()));
      case 'GET flows/:id': {
        const flow = state.getFlow(id as string);
        return flow ? json(200, flow) : json(404, { error: `no flow ${id}` });
      }
      case 'GET runs':
        return json(200, {
          items: state.listRuns({
            ...(query.get('flowId') ? { flowId: query.get('flowId') as string } : {}),
          }),
        });
      case 'POST runs':
        return json(201, state.addRun(body()));
      case 'GET runs/:id': {
        const run = state.getRun(id as string);
        return run ? json(200, run) : json(404, { error: `no run ${id}` });
      }
      case 'POST runs/:id/complete':
        return json(200, state.completeRun(id as string, body()));
      case 'GET runs/:id/lineage':
        return json(200, state.lineage(id as string));
      case 'GET faults':
        return json(200, { items: state.faults() });
      case 'POST faults':
        return json(201, state.addFault(body()));
      case 'DELETE faults':
        state.clearFaults();
        return json(200, { ok: true });
      case 'GET calls': {
        const since = Number(query.get('since') ?? '0');
        if (!Number.isInteger(since) || since < 0)
          throw new EmulatorInputError('since must be a whole number ≥ 0');
        return json(200, { items: state.calls(since) });
      }
      case 'GET stats':
        return json(200, state.stats());
      default:
        return notFound(method, `${ADMIN_BASE}${path}`);
    }
  } catch (error) {
    if (error instanceof EmulatorInputError) return json(400, { error: error.message });
    if (error instanceof EmulatorNotFoundError) return json(404, { error: error.message });
    throw error;
  }
}
