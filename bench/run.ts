/**
 * `npm run bench`: runs every benchmark of issue 5 in order, prints progress and each step's time,
 * and rewrites `bench/results.md`. It starts and stops its own moto_server, counting proxy and
 * emulators on free loopback ports, and stops every child it started on an error or Ctrl-C.
 *
 * Exit code: 1 when a correctness check fails (a duplicate run by the retrier, a run not
 * re-triggered, a broken harness) or a step cannot run; a missed speed or size target is reported
 * in the results, not in the exit code.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../lib/bundling';
import { motoEnvironment, startMoto } from '../sandbox/moto';
import { type LocalResources, provision } from '../sandbox/provision';
import { type BenchBundles, buildBenchBundles } from './bundles';
import { killChildren, lambdaNodeFlags, runNode } from './children';
import { type ColdImportResult, measureColdImport } from './cold-import';
import { costPerThousand, type ItemSizes, ledgerItemSizes } from './cost';
import { type CountingProxy, startCountingProxy } from './counting-proxy';
import {
  duplicateRuns,
  type FlavorRun,
  runFlavor,
  type Stage,
  serviceCalls,
  type Workload,
} from './emulator-runs';
import type { FunctionSettings } from './function-settings';
import { type BenchResults, type Check, type Machine, renderResults, type Target } from './report';
import { fixed, kb, mb, times } from './stats';
import { measureWarmOverhead, type WarmOverheadResult } from './warm-overhead';
import { BENCH_CREDENTIAL } from './workload';

/** Where the results go. */
const RESULTS_FILE = path.join(__dirname, 'results.md');

/** The sizes of each benchmark: small enough for 5 minutes on 2 cores, large enough for stable medians. */
const PLAN = {
  coldImportProcesses: 25,
  warm: { warmup: 1000, measured: 5000, duplicates: 1000 },
  calls: { flows: 50, failedRuns: 200, duplicates: 0, concurrency: 1, seed: 3 } satisfies Workload,
  burst: { flows: 200, failedRuns: 700, duplicates: 300, concurrency: 50, seed: 2024 } satisfies Workload,
} as const;

/** Things to stop on the way out. */
const cleanups: (() => Promise<void> | void)[] = [];

async function cleanUp(): Promise<void> {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

const steps: { name: string; ms: number }[] = [];

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  console.log(`▶ ${name}`);
  const started = performance.now();
  const result = await work();
  const elapsed = performance.now() - started;
  steps.push({ name, ms: elapsed });
  console.log(`✓ ${name} (${fixed(elapsed / 1000, 1)} s)`);
  return result;
}

function machine(loadAverageAtStart: number[]): Machine {
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryBytes: os.totalmem(),
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg(),
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
  };
}

async function readSettings(): Promise<FunctionSettings> {
  const tsx = require.resolve('tsx/cli');
  const finished = await runNode([tsx, path.join(__dirname, 'function-settings.ts')], {
    env: { ...process.env } as Record<string, string>,
    timeoutMs: 60_000,
    cwd: PROJECT_ROOT,
  });
  if (finished.code !== 0)
    throw new Error(`synthesizing the construct failed: ${finished.stderr.slice(-2000)}`);
  return JSON.parse(finished.stdout) as FunctionSettings;
}

/** The function's environment for a cold import: its literal settings plus what the stack and Lambda add. */
function coldImportEnv(settings: FunctionSettings): Record<string, string> {
  return {
    ...settings.environment,
    CREDENTIALS_SECRET_ID:
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:aep-dataflow-autoretry/credentials-AbCdEf',
    OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:outcomes',
    LEDGER_TABLE_NAME: 'ledger',
    RETRY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/retry',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_LAMBDA_FUNCTION_NAME: 'aep-dataflow-autoretry-retrier',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySizeMb),
  };
}

function retriggeredOnce(run: FlavorRun): Check {
  const wrong = run.runIds.filter((id) => run.emulator.retriggers.bySourceRun[id] !== 1);
  return {
    name: `${run.flavor === 'retrier' ? 'retrier' : 'tutorial'}, ${run.workload.concurrency === 1 ? 'calls per alert' : 'burst'}: exactly one re-trigger POST per failed run`,
    pass: wrong.length === 0 && run.worker.report.onFailure === 0,
    detail:
      wrong.length === 0
        ? `${run.runIds.length} of ${run.runIds.length} runs re-triggered once; ${run.worker.report.onFailure} alerts to the on-failure queue`
        : `${wrong.length} runs re-triggered 0 or 2+ times, e.g. ${wrong[0]} (${run.emulator.retriggers.bySourceRun[wrong[0] ?? ''] ?? 0}); first errors: ${run.worker.report.errors.join(' | ')}`,
  };
}

function tutorialPostedEach(run: FlavorRun): Check {
  const expected = run.alerts;
  return {
    name: `tutorial harness, ${run.workload.concurrency === 1 ? 'calls per alert' : 'burst'}: one re-trigger per delivery`,
    pass: run.emulator.retriggers.total === expected && run.worker.report.onFailure === 0,
    detail: `${run.emulator.retriggers.total} runs created for ${expected} deliveries; first errors: ${run.worker.report.errors.join(' | ') || 'none'}`,
  };
}

function targetsOf(results: Omit<BenchResults, 'targets' | 'checks' | 'totalMs' | 'machine'>): Target[] {
  const { bundles, coldImport, warm, burst, settings } = results;
  const limitBytes = 500 * 1024;
  const memoryBytes = settings.memorySizeMb * 1024 * 1024;
  const peak = burst.retrier.worker.report.maxRssBytes;
  const tokens = burst.retrier.emulator.tokensMinted.total;
  const tutorialTokens = burst.tutorial.emulator.tokensMinted.total;
  const duplicates = duplicateRuns(burst.retrier);
  const tutorialDuplicates = duplicateRuns(burst.tutorial);
  const perThousand = (count: number, alerts: number) => fixed((count * 1000) / alerts, 0);
  return [
    {
      name: 'bundle size (minified)',
      target: '< 500 KB',
      measured: `${kb(bundles.retrier.bytes)} (${kb(bundles.retrier.gzipBytes)} gzipped)`,
      pass: bundles.retrier.bytes < limitBytes,
      note: `${kb(bundles.retrier.bytes - limitBytes)} over`,
    },
    {
      name: 'cold import vs SDK-only bundle',
      target: '≤ 1.3×',
      measured: `${times(coldImport.importRatio)} (${fixed(coldImport.retrier.importMs.p50, 1)} ms vs ${fixed(coldImport.sdkOnly.importMs.p50, 1)} ms, medians of ${coldImport.processesPerBundle})`,
      pass: coldImport.importRatio <= 1.3,
      note: coldImportNote(coldImport),
    },
    {
      name: 'warm overhead per alert, p50',
      target: '< 1 ms',
      measured: `${fixed(warm.failure.p50, 1)} µs (p99 ${fixed(warm.failure.p99, 1)} µs)`,
      pass: warm.failure.p50 < 1000,
      note: `${fixed(warm.failure.p50 - 1000, 0)} µs over`,
    },
    {
      name: 'IMS tokens per 1,000 alerts (burst)',
      target: "1 (tutorial's flow: 1,000)",
      measured: `${perThousand(tokens, burst.retrier.alerts)} (tutorial: ${perThousand(tutorialTokens, burst.tutorial.alerts)})`,
      pass: tokens <= 1,
      note: `${tokens - 1} extra token(s): the cached token was refreshed or invalidated during the burst`,
    },
    {
      name: 'duplicate runs created in the burst',
      target: "0 (tutorial's flow: about 300)",
      measured: `${duplicates} (tutorial: ${tutorialDuplicates})`,
      pass: duplicates === 0,
      note: 'a failed run was re-triggered more than once: see the correctness checks',
    },
    {
      name: 'peak RSS during the burst',
      target: `< half of ${settings.memorySizeMb} MB (${mb(memoryBytes / 2)})`,
      measured: `${mb(peak)} = ${fixed(peak / memoryBytes, 2)} of the memory size`,
      pass: peak < memoryBytes / 2,
      note: memoryNote(burst.retrier, burst.tutorial, results.calls.retrier, coldImport, memoryBytes),
    },
  ];
}

function coldImportNote(coldImport: ColdImportResult): string {
  const extraMs = coldImport.retrier.importMs.p50 - coldImport.sdkOnly.importMs.p50;
  const clients = coldImport.sides[2];
  const withFetch = coldImport.sides[4];
  const breakdown =
    clients && withFetch
      ? `the four SDK clients it needs (adding DynamoDB and SQS) take ${fixed(clients.importMs.p50 - coldImport.sdkOnly.importMs.p50, 1)} ms ` +
        `more than the baseline; starting Node's own fetch (undici) adds ${fixed(withFetch.importMs.p50 - clients.importMs.p50, 1)} ms ` +
        `to those (ky makes a Request at import to detect features; the retrier needs fetch to reach Adobe anyway, so deferring ` +
        `it would only move it into the first invocation, and the SDK clients use node:http and never load it); the rest, ` +
        `${fixed(coldImport.retrier.importMs.p50 - withFetch.importMs.p50, 1)} ms, is the retrier's own code, ky, Powertools ` +
        'Logger and Metrics, valibot and the configuration check'
      : "the retrier also loads the DynamoDB and SQS clients, ky (which starts Node's fetch), Powertools and valibot";
  return `${fixed(coldImport.importRatio / 1.3, 2)}× the allowed ratio, ${fixed(extraMs, 1)} ms more per cold start: ${breakdown}`;
}

function memoryNote(
  burst: FlavorRun,
  tutorial: FlavorRun,
  calls: FlavorRun,
  coldImport: ColdImportResult,
  memoryBytes: number,
): string {
  const report = burst.worker.report;
  const empty = coldImport.sides[3]?.rssBytes.p50 ?? 0;
  const parts = [
    `${mb(empty)} is an empty node process`,
    `${mb(report.rssBeforeLoadBytes - empty)} the harness and its ${burst.alerts} events`,
    `${mb(report.rssAfterLoadBytes - report.rssBeforeLoadBytes)} the loaded bundle`,
    `${mb(report.maxRssBytes - report.rssAfterLoadBytes)} heap and code grown while serving ${burst.workload.concurrency} invocations at once in one process`,
  ];
  const sequential = calls.worker.report.maxRssBytes;
  return (
    `${mb(report.maxRssBytes - memoryBytes / 2)} over. Of the peak, ${parts.join(', ')}. The tutorial's flow, two SDK ` +
    `clients and nothing else, peaks at ${mb(tutorial.worker.report.maxRssBytes)} in the same conditions${
      tutorial.worker.report.maxRssBytes >= 0.9 * report.maxRssBytes
        ? `: the peak is Node.js, the SDK and ${burst.workload.concurrency} requests in flight more than the retrier's own code`
        : `, ${mb(report.maxRssBytes - tutorial.worker.report.maxRssBytes)} less than the retrier`
    }. One invocation at a time (step 3) the ` +
    `retrier peaks at ${mb(sequential)} (${fixed(sequential / memoryBytes, 2)} of the memory size), and a Lambda ` +
    'container serves one invocation at a time'
  );
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const loadAverageAtStart = os.loadavg();
  console.log(
    `npm run bench: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load ${fixed(loadAverageAtStart[0] ?? 0, 2)}`,
  );

  const warm: WarmOverheadResult = await step('warm per-alert overhead (createRetrier over fakes)', () =>
    measureWarmOverhead(PLAN.warm),
  );
  console.log(`  p50 ${fixed(warm.failure.p50, 1)} µs, p99 ${fixed(warm.failure.p99, 1)} µs per alert`);

  const settings = await step('function settings (synthesize the construct)', readSettings);
  console.log(`  ${settings.runtime} ${settings.architecture} ${settings.memorySizeMb} MB`);

  const outDir = mkdtempSync(path.join(os.tmpdir(), 'aep-bench-'));
  cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
  const bundles: BenchBundles = await step('build bundles (lib/bundling.ts settings)', () =>
    buildBenchBundles(outDir),
  );
  console.log(
    `  retrier ${kb(bundles.retrier.bytes)} (${kb(bundles.retrier.gzipBytes)} gzipped), SDK-only ${kb(bundles.sdkOnly.bytes)}`,
  );

  const coldImport = await step(
    `cold import (${PLAN.coldImportProcesses} × 5 fresh processes, interleaved)`,
    () =>
      measureColdImport({
        subjects: [
          { name: 'retrier', file: bundles.retrier.file },
          { name: 'SDK-only (Secrets Manager + SNS clients)', file: bundles.sdkOnly.file },
          { name: 'the four SDK clients the retrier uses', file: bundles.awsClients.file },
          { name: 'empty module (node start-up)', file: bundles.empty.file },
          {
            name: "the four SDK clients and Node's fetch started (one new Request)",
            file: bundles.fetch.file,
          },
        ],
        env: coldImportEnv(settings),
        nodeFlags: lambdaNodeFlags(settings.memorySizeMb),
        processes: PLAN.coldImportProcesses,
        onProgress: (done, total) => {
          if (done % 5 === 0) process.stdout.write(`  ${done}/${total}\n`);
        },
      }),
  );
  console.log(
    `  retrier ${fixed(coldImport.retrier.importMs.p50, 1)} ms, SDK-only ${fixed(coldImport.sdkOnly.importMs.p50, 1)} ms: ${times(coldImport.importRatio)}`,
  );

  const { moto, motoDynamoDb, proxy } = await step(
    'start two moto_servers and the counting proxy',
    async () => {
      // DynamoDB gets its own moto_server: its table copies would otherwise hold up SNS and Secrets Manager.
      const [server, dynamoDbServer] = await Promise.all([startMoto(), startMoto()]);
      cleanups.push(
        () => server.stop(),
        () => dynamoDbServer.stop(),
      );
      Object.assign(process.env, motoEnvironment(server.endpoint), {
        AWS_ENDPOINT_URL_DYNAMODB: dynamoDbServer.endpoint,
      });
      const counting: CountingProxy = await startCountingProxy(server.endpoint, {
        dynamodb: dynamoDbServer.endpoint,
      });
      cleanups.push(() => counting.close());
      return { moto: server, motoDynamoDb: dynamoDbServer, proxy: counting };
    },
  );
  console.log(`  moto ${moto.endpoint} (DynamoDB ${motoDynamoDb.endpoint}), proxy ${proxy.endpoint}`);

  const stage: Stage = {
    proxy,
    provision: (): Promise<LocalResources> =>
      provision({ prefix: `bench-${randomUUID().slice(0, 8)}`, credentials: BENCH_CREDENTIAL }),
    workerFile: bundles.worker,
    bundles: { retrier: bundles.retrier.file, tutorial: bundles.tutorial.file },
    functionEnv: settings.environment,
    timeoutSeconds: settings.timeoutSeconds,
    memoryMb: settings.memorySizeMb,
  };
  const describe = (run: FlavorRun) =>
    `  ${run.alerts} alerts in ${fixed(run.worker.report.wallMs / 1000, 1)} s: ${run.emulator.retriggers.total} runs created, ` +
    `${duplicateRuns(run)} duplicates, ${run.emulator.tokensMinted.total} tokens, ${serviceCalls(run.aws.calls, 'secretsmanager')} secret reads, ` +
    `peak RSS ${mb(run.worker.report.maxRssBytes)}`;

  const callsRetrier = await step(
    `calls per alert: retrier (${PLAN.calls.failedRuns} alerts, one at a time)`,
    () => runFlavor(stage, 'retrier', PLAN.calls),
  );
  console.log(describe(callsRetrier));
  const callsTutorial = await step(`calls per alert: tutorial's flow (${PLAN.calls.failedRuns} alerts)`, () =>
    runFlavor(stage, 'tutorial', PLAN.calls),
  );
  console.log(describe(callsTutorial));
  const ledgerItems: ItemSizes = await step('size the ledger items (scan)', () =>
    ledgerItemSizes(callsRetrier.resources.ledgerTableName),
  );

  const burstAlerts = PLAN.burst.failedRuns + PLAN.burst.duplicates;
  const burstRetrier = await step(
    `burst: retrier (${burstAlerts} alerts, ${PLAN.burst.concurrency} in flight)`,
    () => runFlavor(stage, 'retrier', PLAN.burst),
  );
  console.log(describe(burstRetrier));
  const burstTutorial = await step(
    `burst: tutorial's flow (${burstAlerts} alerts, ${PLAN.burst.concurrency} in flight)`,
    () => runFlavor(stage, 'tutorial', PLAN.burst),
  );
  console.log(describe(burstTutorial));

  const memoryMb = settings.memorySizeMb;
  const partial = {
    startedAt,
    settings,
    bundles,
    coldImport,
    warm,
    calls: { retrier: callsRetrier, tutorial: callsTutorial },
    burst: { retrier: burstRetrier, tutorial: burstTutorial },
    ledgerItems,
    cost: {
      calls: {
        retrier: costPerThousand(callsRetrier, memoryMb, ledgerItems),
        tutorial: costPerThousand(callsTutorial, memoryMb, ledgerItems),
      },
      burst: {
        retrier: costPerThousand(burstRetrier, memoryMb, ledgerItems),
        tutorial: costPerThousand(burstTutorial, memoryMb, ledgerItems),
      },
    },
    steps,
  };
  const checks: Check[] = [
    retriggeredOnce(callsRetrier),
    retriggeredOnce(burstRetrier),
    {
      name: 'retrier, burst: no run created beyond one per failed run',
      pass: burstRetrier.emulator.retriggers.total === PLAN.burst.failedRuns,
      detail: `${burstRetrier.emulator.retriggers.total} runs created for ${PLAN.burst.failedRuns} failed runs`,
    },
    tutorialPostedEach(callsTutorial),
    tutorialPostedEach(burstTutorial),
  ];
  const targets = targetsOf(partial);
  const totalMs = performance.now() - started;
  const results: BenchResults = {
    ...partial,
    machine: machine(loadAverageAtStart),
    targets,
    checks,
    totalMs,
  };
  writeFileSync(RESULTS_FILE, renderResults(results));

  console.log('');
  console.log('Targets:');
  for (const target of targets) {
    console.log(
      `  ${target.pass ? 'PASS' : 'MISS'}  ${target.name}: ${target.measured} (goal ${target.target})`,
    );
  }
  const failed = checks.filter((check) => !check.pass);
  for (const check of failed) console.error(`  CHECK FAILED: ${check.name}: ${check.detail}`);
  console.log(`\nWrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)} in ${fixed(totalMs / 1000, 1)} s total.`);
  return failed.length === 0 ? 0 : 1;
}

let shuttingDown: Promise<never> | undefined;

/** Cleans up once and exits; later calls (a second signal, a step failing because of the first) wait for it. */
function shutdown(code: number): Promise<never> {
  shuttingDown ??= cleanUp().then(() => process.exit(code));
  return shuttingDown;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!shuttingDown) console.error(`\n${signal}: stopping moto_server, emulators and workers`);
    void shutdown(130);
  });
}

main().then(
  (code) => shutdown(code),
  (error: unknown) => {
    if (!shuttingDown) {
      console.error(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    return shutdown(1);
  },
);
