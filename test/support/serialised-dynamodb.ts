/**
 * A loopback HTTP proxy in front of moto_server that lets one DynamoDB request through at a time.
 *
 * Why: DynamoDB makes a conditional write atomic (the condition is checked and the write applied
 * as one step), and the ledger's exactly-once claim rests on that. moto_server serves requests on
 * several threads and its `update_item`/`put_item` read the item, evaluate the condition and then
 * write without a lock (moto 5.2, `moto/dynamodb/models/__init__.py`), so two requests that arrive
 * together can both pass `attribute_not_exists(...)`: a race real DynamoDB does not have. Taking
 * DynamoDB requests one by one restores the atomicity the tests must rely on; every other service
 * is not routed here at all (the SDK's `AWS_ENDPOINT_URL_DYNAMODB` sends only DynamoDB).
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy; `close()` it in `afterAll`. */
export interface SerialisedDynamoDb {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** Environment that sends the AWS SDK's DynamoDB calls (only those) through the proxy. */
  readonly env: Record<string, string>;
  /** DynamoDB requests served so far. */
  requests(): number;
  /** The most requests that were ever in moto at the same time: 1 unless the proxy is broken. */
  maxInFlight(): number;
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

/**
 * Starts the proxy on a free loopback port in front of `target`.
 * @param target moto_server's endpoint; default `AWS_ENDPOINT_URL` (set by the jest global setup)
 */
export async function startSerialisedDynamoDb(
  target = process.env.AWS_ENDPOINT_URL,
): Promise<SerialisedDynamoDb> {
  if (!target) throw new Error('no moto endpoint: set AWS_ENDPOINT_URL or pass the target');
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let queue: Promise<void> = Promise.resolve();
  let served = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  function forward(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => {
        inFlight--;
        served++;
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
    readBody(request).then(
      (body) => {
        // One at a time: the next request reaches moto only when the previous answer is complete.
        queue = queue.then(() => forward(request, body, response));
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL_DYNAMODB: endpoint },
    requests: () => served,
    maxInFlight: () => maxInFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
