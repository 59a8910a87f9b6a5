/**
 * The child-process harness of the emulator benchmarks: one process is one Lambda "container".
 * It loads a bundle with `loadHandler` (its cold start, environment included), invokes it with the
 * SNS events it is sent, `concurrency` at a time, as asynchronous invocations (retries included),
 * and reports each handler call's duration, the wall time and the process's peak RSS.
 *
 * Bundled by `bench/bundles.ts` and run with plain `node`, so the process holds the bundle under
 * test and this small harness, nothing else. Protocol: one {@link WorkerJob} in over IPC, one
 * {@link WorkerReport} back, then exit.
 */
import { invokeAsync, type LambdaHandler, loadHandler } from '../sandbox/local-lambda';

/** What the worker is asked to run. */
export interface WorkerJob {
  /** Absolute path of the bundle to load (exports `handler`). */
  readonly bundle: string;
  /** Environment set before the bundle loads (its cold start reads it). */
  readonly env: Record<string, string>;
  /**
   * Lambda events as JSON, one invocation each, in this order. Kept as text and parsed per
   * invocation, as Lambda's runtime client does, so the waiting events weigh what their text weighs.
   */
  readonly events: readonly string[];
  /** Invocations in flight at once. */
  readonly concurrency: number;
  /** Lambda's asynchronous retries after a thrown error (0 to 2). */
  readonly retryAttempts: number;
  /** Pause before a retry. */
  readonly retryDelayMs: number;
  /** The function timeout, for the context's remaining time. */
  readonly timeoutMs: number;
  /** How often RSS is sampled. */
  readonly sampleEveryMs: number;
}

/** What the worker measured. */
export interface WorkerReport {
  /** Time to load the bundle (the cold start's import and configuration). */
  readonly loadMs: number;
  readonly rssBeforeLoadBytes: number;
  readonly rssAfterLoadBytes: number;
  /** Highest RSS sampled while invocations ran. */
  readonly rssPeakSampledBytes: number;
  /** The kernel's peak RSS of the process over its life (`process.resourceUsage().maxRSS`). */
  readonly maxRssBytes: number;
  readonly heapUsedPeakBytes: number;
  /** Highest V8 heap reserved (`heapTotal`) sampled. */
  readonly heapTotalPeakBytes: number;
  /** Highest memory outside the V8 heap (`external`: buffers, sockets) sampled. */
  readonly externalPeakBytes: number;
  /** From the first invocation to the last completion. */
  readonly wallMs: number;
  /** Duration of every handler call (retries are calls too), in milliseconds. */
  readonly callDurationsMs: readonly number[];
  readonly invocations: number;
  /** Handler calls in total (invocations plus retries). */
  readonly calls: number;
  /** Invocations whose every attempt threw: they would go to the on-failure destination. */
  readonly onFailure: number;
  /** The first few error messages, for diagnosis. */
  readonly errors: readonly string[];
}

/** Message a worker sends when it cannot run the job. */
export interface WorkerFailure {
  readonly failure: string;
}

async function run(job: WorkerJob): Promise<WorkerReport> {
  // The job arrived as one large IPC message: collect its garbage before measuring (Lambda's
  // bootstrap starts node with --expose-gc too).
  (globalThis as { gc?: () => void }).gc?.();
  const rssBeforeLoadBytes = process.memoryUsage().rss;
  const loadStarted = performance.now();
  const loaded = loadHandler(job.bundle, job.env);
  const loadMs = performance.now() - loadStarted;
  const rssAfterLoadBytes = process.memoryUsage().rss;

  const callDurationsMs: number[] = [];
  const errors: string[] = [];
  const timed: LambdaHandler = async (event, context) => {
    const started = performance.now();
    try {
      return await loaded(event, context);
    } catch (error) {
      if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      callDurationsMs.push(performance.now() - started);
    }
  };

  let rssPeakSampledBytes = rssAfterLoadBytes;
  let heapUsedPeakBytes = 0;
  let heapTotalPeakBytes = 0;
  let externalPeakBytes = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rssPeakSampledBytes = Math.max(rssPeakSampledBytes, usage.rss);
    heapUsedPeakBytes = Math.max(heapUsedPeakBytes, usage.heapUsed);
    heapTotalPeakBytes = Math.max(heapTotalPeakBytes, usage.heapTotal);
    externalPeakBytes = Math.max(externalPeakBytes, usage.external);
  };
  const sampler = setInterval(sample, job.sampleEveryMs);

  let next = 0;
  let calls = 0;
  let onFailure = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < job.events.length) {
      const event: unknown = JSON.parse(job.events[next++] as string);
      const outcome = await invokeAsync(timed, event, {
        retryAttempts: job.retryAttempts,
        retryDelayMs: job.retryDelayMs,
        timeoutMs: job.timeoutMs,
      });
      calls += outcome.attempts;
      if (outcome.onFailure) onFailure++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, lane));
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  sample();

  return {
    loadMs,
    rssBeforeLoadBytes,
    rssAfterLoadBytes,
    rssPeakSampledBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedPeakBytes,
    heapTotalPeakBytes,
    externalPeakBytes,
    wallMs,
    callDurationsMs,
    invocations: job.events.length,
    calls,
    onFailure,
    errors,
  };
}

process.once('message', (job: WorkerJob) => {
  run(job).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { failure: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.exit(1),
      ),
  );
});
