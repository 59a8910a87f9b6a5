/**
 * Cold import: fresh `node` processes each `require` one bundle, with the function's environment
 * set so its cold-start configuration runs, and report how long the `require` took and how long
 * the process took from its start to that point. The bundles take turns, in an order that rotates
 * every round (A B C D, B C D A, ...), so drift in the machine's load falls on all of them alike;
 * a first round warms the file cache and is not counted.
 */
import { childEnv, runNode } from './children';
import { type Summary, summarize } from './stats';

/** One process's figures. */
interface Sample {
  /** The `require` of the bundle, in ms. */
  readonly importMs: number;
  /** From the process's start (`performance.timeOrigin`) to the end of the `require`, in ms. */
  readonly readyMs: number;
  /** RSS once the bundle is loaded. */
  readonly rssBytes: number;
}

/** A bundle to measure. */
export interface ColdImportSubject {
  readonly name: string;
  readonly file: string;
}

/** Cold-import figures of one bundle. */
export interface ColdImportSide {
  readonly name: string;
  readonly importMs: Summary;
  readonly readyMs: Summary;
  readonly rssBytes: Summary;
}

/** Result of {@link measureColdImport}. */
export interface ColdImportResult {
  readonly processesPerBundle: number;
  /** In the order given; the first is the retrier, the second the baseline. */
  readonly sides: readonly ColdImportSide[];
  readonly retrier: ColdImportSide;
  readonly sdkOnly: ColdImportSide;
  /** median(retrier import) / median(SDK-only import). */
  readonly importRatio: number;
  /** median(retrier ready) / median(SDK-only ready). */
  readonly readyRatio: number;
}

const CHILD_SCRIPT = `
const started = performance.now();
require(process.argv[1]);
const ended = performance.now();
const out = JSON.stringify({ importMs: ended - started, readyMs: ended, rssBytes: process.memoryUsage().rss });
process.stdout.write(out, () => process.exit(0));
`;

async function once(
  file: string,
  env: Record<string, string>,
  nodeFlags: readonly string[],
): Promise<Sample> {
  const finished = await runNode([...nodeFlags, '-e', CHILD_SCRIPT, file], {
    env: childEnv(env),
    timeoutMs: 20_000,
  });
  if (finished.code !== 0) {
    throw new Error(`requiring ${file} failed (exit ${finished.code}): ${finished.stderr.slice(-1500)}`);
  }
  return JSON.parse(finished.stdout) as Sample;
}

/**
 * Runs `processes` fresh processes per bundle, interleaved.
 * @param options.subjects the retrier first, the SDK-only baseline second, then any others
 * @param options.env the function's environment (configuration, region, credentials, NODE_OPTIONS)
 * @param options.nodeFlags flags for `node` (Lambda's, see lambdaNodeFlags)
 */
export async function measureColdImport(options: {
  subjects: readonly [ColdImportSubject, ColdImportSubject, ...ColdImportSubject[]];
  env: Record<string, string>;
  nodeFlags: readonly string[];
  processes: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<ColdImportResult> {
  const { subjects, env, nodeFlags, processes } = options;
  // Warm-up round: the first reads of each file come from disk, the rest from the page cache.
  for (const subject of subjects) await once(subject.file, env, nodeFlags);
  const samples = subjects.map(() => [] as Sample[]);
  for (let round = 0; round < processes; round++) {
    for (let turn = 0; turn < subjects.length; turn++) {
      const index = (round + turn) % subjects.length;
      const subject = subjects[index] as ColdImportSubject;
      samples[index]?.push(await once(subject.file, env, nodeFlags));
    }
    options.onProgress?.(round + 1, processes);
  }
  const sides = subjects.map((subject, index) => {
    const taken = samples[index] ?? [];
    return {
      name: subject.name,
      importMs: summarize(taken.map((sample) => sample.importMs)),
      readyMs: summarize(taken.map((sample) => sample.readyMs)),
      rssBytes: summarize(taken.map((sample) => sample.rssBytes)),
    };
  });
  const [retrier, sdkOnly] = sides as [ColdImportSide, ColdImportSide];
  return {
    processesPerBundle: processes,
    sides,
    retrier,
    sdkOnly,
    importRatio: retrier.importMs.p50 / sdkOnly.importMs.p50,
    readyRatio: retrier.readyMs.p50 / sdkOnly.readyMs.p50,
  };
}
