/**
 * Lambda "containers" in child processes: each child is plain Node 24 running
 * `child-lambda-runner.mts`, which loads the bundle at its own cold start and invokes the handler
 * once when told. Tests use them for what one process cannot show: concurrent deliveries from
 * separate processes, and a container killed in the middle of an invocation.
 *
 * Every child started here is tracked; call {@link killChildren} in `afterAll` so none is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const RUNNER = resolve(__dirname, 'child-lambda-runner.mts');
const PROJECT_NODE = resolve(__dirname, '../../node_modules/.bin/node');

/** What the child's single invocation came to. */
export type ChildResult =
  | { readonly ok: true; readonly response?: unknown }
  | { readonly ok: false; readonly error: string };

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A Lambda container running in a child process. */
export interface ChildContainer {
  readonly pid: number;
  /** Resolves once the bundle is loaded (its cold start is over); rejects if the child dies first. */
  readonly ready: Promise<void>;
  /** Resolves when the child has exited, however it ended. */
  readonly exited: Promise<ChildExit>;
  /** Asks the child to invoke its handler once with `event`; resolves with what the handler did. */
  invoke(event: unknown, options?: { timeoutMs?: number }): Promise<ChildResult>;
  /** What the child wrote to stdout (Powertools log lines), split into lines. */
  stdout(): string[];
  /** What the child wrote to stderr. */
  stderr(): string;
  /** Kills the child with `signal` (default SIGKILL) unless it has exited. */
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/**
 * Starts a child container of `bundle` with exactly `env` as its environment (give it the moto
 * variables too). Plain `node` from node_modules/.bin (the project's Node 24) runs it.
 */
export function startChildContainer(options: {
  readonly bundle: string;
  readonly env: Record<string, string | undefined>;
}): ChildContainer {
  const node = existsSync(PROJECT_NODE) ? PROJECT_NODE : process.execPath;
  const child = spawn(node, [RUNNER, options.bundle], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<ChildExit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolveExit({ code, signal });
    });
  });
  // 'close' comes after the last IPC message was read, so an answer is never mistaken for a death.
  const closed = new Promise<ChildExit>((resolveClose) => {
    child.once('close', (code, signal) => resolveClose({ code, signal }));
  });
  const died = (what: string) =>
    closed.then((exit) => {
      throw new Error(
        `child ${child.pid} exited (${exit.signal ?? exit.code}) before ${what}; stderr: ${err.slice(0, 2000)}`,
      );
    });
  const ready = Promise.race([
    new Promise<void>((resolveReady) => {
      child.on('message', (message: { type?: string }) => {
        if (message?.type === 'ready') resolveReady();
      });
    }),
    died('it was ready'),
  ]);
  const result = new Promise<ChildResult>((resolveResult) => {
    child.on('message', (message: { type?: string } & ChildResult) => {
      if (message?.type === 'result') resolveResult(message);
    });
  });
  // Nobody may wait on these; an unobserved rejection must not fail the test run.
  ready.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    ready,
    exited,
    invoke(event, invokeOptions = {}) {
      child.send({ type: 'invoke', event, timeoutMs: invokeOptions.timeoutMs ?? 60_000 });
      return Promise.race([result, died('it answered')]);
    },
    stdout: () => out.split('\n').filter((line) => line.trim() !== ''),
    stderr: () => err,
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Kills every child container still running (SIGKILL) and waits until they are gone. */
export async function killChildren(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolveExit) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
          child.once('exit', () => resolveExit());
          child.kill('SIGKILL');
        }),
    ),
  );
}
