/**
 * Starts and stops moto_server, the local emulator of SNS, SQS, Secrets Manager and DynamoDB.
 * Used by the tests' global setup, the local sandbox, the CLI's local target and the benchmarks.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { startMotoProxy } from './moto-proxy';

/** A running moto_server. */
export interface MotoServer {
  /**
   * `http://127.0.0.1:PORT`: the value for `AWS_ENDPOINT_URL`. It is the front door of moto
   * (`moto-proxy.ts`), which gives DynamoDB's conditional writes the atomicity moto lacks.
   */
  readonly endpoint: string;
  /** moto_server itself, behind the front door. */
  readonly directEndpoint: string;
  readonly pid: number;
  /** Stops the front door and the server (by PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Environment that points the AWS SDK at a moto_server with dummy credentials. */
export function motoEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const INSTALL_HINT = 'moto_server was not found on PATH. Install it with: pip install "moto[server]"';

/** True when moto_server can be started on this machine. */
export function motoAvailable(command = process.env.MOTO_SERVER ?? 'moto_server'): boolean {
  const probe = spawnSync(command, ['--help'], { stdio: 'ignore' });
  return probe.status === 0;
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() - started < timeoutMs) {
    if (exited) throw new Error(`moto_server exited before it was ready (${endpoint})`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(500) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/**
 * Starts moto_server on a free loopback port and waits until it answers.
 * @throws Error with the install command when moto_server is missing
 */
export async function startMoto(options: { port?: number; timeoutMs?: number } = {}): Promise<MotoServer> {
  const command = process.env.MOTO_SERVER ?? 'moto_server';
  if (!motoAvailable(command)) throw new Error(INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 15000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  let proxy: Awaited<ReturnType<typeof startMotoProxy>>;
  try {
    proxy = await startMotoProxy(endpoint);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    endpoint: proxy.endpoint,
    directEndpoint: endpoint,
    pid: child.pid ?? 0,
    stop: async () => {
      await proxy.close();
      await stopProcess(child);
    },
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
