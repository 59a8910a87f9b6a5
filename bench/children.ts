/**
 * Child processes of the benchmarks: every one is tracked so the orchestrator can stop them on an
 * error or on Ctrl-C, and each has a time limit so a stuck child cannot stall the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { WorkerFailure, WorkerJob, WorkerReport } from './worker';

const running = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills every child this module started and that is still running (by its own handle). */
export function killChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** The environment a child starts with: only what Node needs, plus `extra`. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...extra };
}

/** What a finished process printed and how it ended. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Runs `node <args>` (this Node binary) to the end and collects its output. */
export function runNode(
  args: readonly string[],
  options: { env: Record<string, string>; timeoutMs: number; cwd?: string },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = track(
      spawn(process.execPath, [...args], {
        env: options.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ').slice(0, 120)} took over ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

/**
 * The flags Lambda's Node.js bootstrap (`/var/runtime/bootstrap`) starts `node` with: `--expose-gc`
 * and heap limits derived from the memory size (a tenth for the young generation, half of it per
 * semi-space, the rest for the old one). Applied to the worker so its heap grows as a Lambda
 * container's would.
 */
export function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/** A worker's report with what its process wrote. */
export interface WorkerRun {
  readonly report: WorkerReport;
  /** Bytes the function wrote to stdout (its logs and EMF metrics, as CloudWatch Logs would get). */
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
  readonly stderrTail: string;
}

/**
 * Runs one job in a fresh worker process (`bench/worker.ts`, bundled): a new Lambda container.
 * @param options.nodeOptions the function's `NODE_OPTIONS`, as the deployed function has them
 * @param options.nodeFlags flags for `node` itself (Lambda's, {@link lambdaNodeFlags})
 */
export function runWorker(
  workerFile: string,
  job: WorkerJob,
  options: { nodeOptions: string; nodeFlags: readonly string[]; timeoutMs: number },
): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [...options.nodeFlags, workerFile], {
        env: childEnv(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    let stdoutBytes = 0;
    let stdoutLines = 0;
    let stderrTail = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      for (const byte of chunk) if (byte === 10) stdoutLines++;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    });
    let report: WorkerReport | undefined;
    let failure: string | undefined;
    child.on('message', (message: WorkerReport | WorkerFailure) => {
      if ('failure' in message) failure = message.failure;
      else report = message;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker took over ${options.timeoutMs} ms; stderr: ${stderrTail.slice(-500)}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (report) resolve({ report, stdoutBytes, stdoutLines, stderrTail });
      else
        reject(
          new Error(
            `the worker exited (${code}) without a report: ${failure ?? 'no message'}\n${stderrTail.slice(-1500)}`,
          ),
        );
    });
    child.send(job);
  });
}
