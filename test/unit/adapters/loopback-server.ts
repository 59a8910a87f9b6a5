/**
 * A real HTTP server on 127.0.0.1 (port 0) that records every request and answers from a script,
 * for the adapters' tests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An answer: a status with JSON (or text) body, or a connection that never answers or drops. */
export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | 'hang'
  | 'drop';

/** Chooses the reply to a request. */
export type Handler = (request: RecordedRequest) => Reply;

/** A running server and its record of requests. */
export interface LoopbackServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers with these replies in turn; the last one repeats. */
  reply(...replies: Reply[]): void;
  /** Answers with whatever the handler says. */
  handle(handler: Handler): void;
  /** Forgets the requests and the script. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts a server; close it in `afterAll`. */
export async function startLoopbackServer(): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const hung = new Set<Socket>();
  let handler: Handler = () => ({ status: 500, body: { message: 'no reply scripted' } });

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '/';
      const parsed = new URL(url, 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url,
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = handler(recorded);
      if (reply === 'hang') {
        hung.add(request.socket);
        return;
      }
      if (reply === 'drop') {
        request.socket.destroy();
        return;
      }
      const text =
        reply.body === undefined
          ? ''
          : typeof reply.body === 'string'
            ? reply.body
            : JSON.stringify(reply.body);
      response.writeHead(reply.status, {
        'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
        ...reply.headers,
      });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(...replies) {
      let next = 0;
      handler = () => {
        const reply = replies[Math.min(next, replies.length - 1)];
        next++;
        if (reply === undefined) throw new Error('no reply given');
        return reply;
      };
    },
    handle(newHandler) {
      handler = newHandler;
    },
    reset() {
      requests.length = 0;
      handler = () => ({ status: 500, body: { message: 'no reply scripted' } });
      // Hung requests of the previous test must not hold the next one. Idle keep-alive connections
      // stay: closing them races with the client reusing them, which a POST cannot survive.
      for (const socket of hung) socket.destroy();
      hung.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
