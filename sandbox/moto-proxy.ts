/**
 * The loopback front door of moto_server: every AWS call goes through it, and DynamoDB calls go
 * through one at a time.
 *
 * Why: DynamoDB makes a conditional write atomic (the condition is checked and the write applied
 * as one step), and the ledger's exactly-once claim rests on that. moto_server serves requests on
 * several threads and its `update_item`/`put_item` read the item, evaluate the condition and then
 * write without a lock (moto 5.2, `moto/dynamodb/models/__init__.py`), so two requests that arrive
 * together can both pass `attribute_not_exists(...)`: a race real DynamoDB does not have. Taking
 * DynamoDB requests one by one restores the atomicity every local user of moto relies on; other
 * services pass through concurrently.
 *
 * `GET /__moto-proxy/stats` answers `{dynamodbRequests, maxDynamodbInFlight}` so tests can check
 * the serialisation really happened.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** The path that answers the proxy's counters. */
export const MOTO_PROXY_STATS_PATH = '/__moto-proxy/stats';

/** Counters of the proxy. */
export interface MotoProxyStats {
  readonly dynamodbRequests: number;
  /** The most DynamoDB requests ever in moto at the same time: 1 unless the proxy is broken. */
  readonly maxDynamodbInFlight: number;
}

/** A running proxy. */
export interface MotoProxy {
  /** `http://127.0.0.1:PORT`: the value for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  stats(): MotoProxyStats;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** DynamoDB's JSON protocol names the operation in `X-Amz-Target: DynamoDB_20120810.<Operation>`. */
function isDynamoDb(request: IncomingMessage): boolean {
  const target = request.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith('DynamoDB_');
}

/** Starts the proxy on a free loopback port in front of moto_server at `target`. */
export async function startMotoProxy(target: string): Promise<MotoProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let dynamodbQueue: Promise<void> = Promise.resolve();
  let dynamodbRequests = 0;
  let dynamodbInFlight = 0;
  let maxDynamodbInFlight = 0;

  function forward(
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
    dynamodb: boolean,
  ): Promise<void> {
    return new Promise((resolve) => {
      if (dynamodb) {
        dynamodbInFlight++;
        maxDynamodbInFlight = Math.max(maxDynamodbInFlight, dynamodbInFlight);
      }
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        if (dynamodb) {
          dynamodbInFlight--;
          dynamodbRequests++;
        }
        resolve();
      };
      const outgoing = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on('end', done);
          answer.on('error', done);
        },
      );
      outgoing.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`proxy to moto failed: ${error.message}`);
        done();
      });
      outgoing.end(body);
    });
  }

  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === MOTO_PROXY_STATS_PATH) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ dynamodbRequests, maxDynamodbInFlight } satisfies MotoProxyStats));
      return;
    }
    readBody(request).then(
      (body) => {
        if (!isDynamoDb(request)) {
          void forward(request, body, response, false);
          return;
        }
        // One at a time: the next DynamoDB request reaches moto only when the previous answer is complete.
        dynamodbQueue = dynamodbQueue.then(() => forward(request, body, response, true));
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ dynamodbRequests, maxDynamodbInFlight }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
