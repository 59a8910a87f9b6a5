/**
 * A counting HTTP proxy on loopback, in front of moto_server: the function under test gets it as
 * `AWS_ENDPOINT_URL`, so every AWS call passes through here and is tallied by service (from the
 * SigV4 credential scope) and operation (`X-Amz-Target` for JSON protocols, `Action` for query
 * protocols), with the details DynamoDB bills by (items per transaction, consistent reads).
 *
 * It also works around a moto limitation: moto 5 is not thread-safe while it copies a table for
 * `TransactWriteItems` (concurrent writes make it answer 500), so DynamoDB writes are forwarded one
 * at a time. Real DynamoDB has no such limit; reads, SNS, SQS and Secrets Manager go through at once.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** DynamoDB operations that change items; the proxy lets them reach moto one at a time. */
const DYNAMODB_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'TransactWriteItems',
  'BatchWriteItem',
]);

/** Calls seen, by `service` then operation. */
export type CallTally = Record<string, Record<string, number>>;

/** What DynamoDB's on-demand billing needs from the calls. */
export interface DynamoDbTally {
  /** Single-item writes: PutItem, UpdateItem, DeleteItem (failed conditions included: they are billed). */
  readonly itemWrites: number;
  /** Items written inside TransactWriteItems (billed at twice the units of a plain write). */
  readonly transactItems: number;
  readonly consistentReads: number;
  readonly eventualReads: number;
}

/** A snapshot of everything counted so far. */
export interface ProxyCounts {
  readonly calls: CallTally;
  /** Calls answered with a non-2xx status (e.g. a refused conditional claim), same keys. */
  readonly errors: CallTally;
  readonly dynamodb: DynamoDbTally;
  /** Time moto took to answer, summed in milliseconds, same keys. */
  readonly upstreamMs: CallTally;
  /** Largest request body seen, in bytes, same keys (SNS and SQS bill per 64 KB chunk). */
  readonly maxBodyBytes: CallTally;
}

/** A running proxy. */
export interface CountingProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** A copy of the counts so far. */
  counts(): ProxyCounts;
  /** Stops listening and closes idle connections. */
  close(): Promise<void>;
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The service of a SigV4-signed request: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`. */
export function serviceOf(headers: IncomingHttpHeaders): string {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(headerText(headers, 'authorization') ?? '');
  return scope?.[1] ?? 'unsigned';
}

/** The operation: the part after the dot of `X-Amz-Target`, or the query protocol's `Action`. */
export function operationOf(
  headers: IncomingHttpHeaders,
  body: string,
  method: string,
  path: string,
): string {
  const target = headerText(headers, 'x-amz-target');
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  const action =
    new URLSearchParams(body).get('Action') ?? new URL(path, 'http://x').searchParams.get('Action');
  return action ?? `${method} ${path}`;
}

function add(tally: CallTally, service: string, operation: string): void {
  const byOperation = tally[service] ?? {};
  byOperation[operation] = (byOperation[operation] ?? 0) + 1;
  tally[service] = byOperation;
}

/**
 * Starts a proxy to `target` (moto's endpoint) on a free loopback port.
 * @param routes other endpoints by service, e.g. `{ dynamodb: 'http://127.0.0.1:5001' }`: a second
 * moto_server for DynamoDB keeps its table copies off the core that serves SNS and Secrets Manager
 */
export async function startCountingProxy(
  target: string,
  routes: Readonly<Record<string, string>> = {},
): Promise<CountingProxy> {
  const upstreams = new Map(Object.entries(routes).map(([service, url]) => [service, new URL(url)]));
  const fallback = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const calls: CallTally = {};
  const errors: CallTally = {};
  const maxBodyBytes: CallTally = {};
  const upstreamMs: CallTally = {};
  const dynamodb = { itemWrites: 0, transactItems: 0, consistentReads: 0, eventualReads: 0 };

  const countDynamoDb = (operation: string, body: string) => {
    if (operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem') {
      dynamodb.itemWrites++;
    } else if (operation === 'TransactWriteItems') {
      const parsed = JSON.parse(body) as { TransactItems?: unknown[] };
      dynamodb.transactItems += parsed.TransactItems?.length ?? 0;
    } else if (operation === 'GetItem') {
      const parsed = JSON.parse(body) as { ConsistentRead?: boolean };
      if (parsed.ConsistentRead) dynamodb.consistentReads++;
      else dynamodb.eventualReads++;
    }
  };

  let writeLane: Promise<void> = Promise.resolve();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const path = request.url ?? '/';
      const service = serviceOf(request.headers);
      const operation = operationOf(request.headers, text, request.method ?? 'GET', path);
      add(calls, service, operation);
      const largest = maxBodyBytes[service] ?? {};
      largest[operation] = Math.max(largest[operation] ?? 0, body.length);
      maxBodyBytes[service] = largest;
      if (service === 'dynamodb') countDynamoDb(operation, text);
      const upstream = upstreams.get(service) ?? fallback;
      const send = () =>
        new Promise<void>((done) => {
          const sent = performance.now();
          const forward = httpRequest(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: request.method,
              path,
              headers: request.headers,
              agent,
            },
            (answer) => {
              if ((answer.statusCode ?? 500) >= 300) add(errors, service, operation);
              response.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(response);
              answer.once('end', () => {
                const spent = upstreamMs[service] ?? {};
                spent[operation] = (spent[operation] ?? 0) + (performance.now() - sent);
                upstreamMs[service] = spent;
                done();
              });
              answer.once('error', () => done());
            },
          );
          forward.on('error', (error) => {
            add(errors, service, operation);
            if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
            response.end(`counting proxy: ${error.message}`);
            done();
          });
          forward.end(body);
        });
      if (service === 'dynamodb' && DYNAMODB_WRITES.has(operation)) {
        // moto copies a whole table inside TransactWriteItems while other threads may change it,
        // and answers 500 ("dictionary changed size during iteration"): one write at a time.
        writeLane = writeLane.then(send);
      } else {
        void send();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => structuredClone({ calls, errors, dynamodb, maxBodyBytes, upstreamMs }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
