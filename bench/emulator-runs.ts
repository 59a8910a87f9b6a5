/**
 * Runs a bundle against moto + the Flow Service/IMS emulator in a fresh worker process (one Lambda
 * container) and collects what happened: the emulator's counters (Flow Service and IMS calls,
 * runs created per source run, tokens minted), the AWS calls the counting proxy saw, the worker's
 * durations and peak memory, and the bytes of logs the function wrote.
 *
 * Each run gets a fresh emulator (fresh state) and fresh moto resources (an empty ledger: moto's
 * TransactWriteItems copies the whole table, so a table carried over would slow later runs).
 */
import { startEmulator } from '../emulator/server';
import type { EmulatorStats } from '../emulator/types';
import { motoEnvironment } from '../sandbox/moto';
import { type LocalResources, retrierEnvironment } from '../sandbox/provision';
import { lambdaNodeFlags, runWorker, type WorkerRun } from './children';
import type { CallTally, CountingProxy, ProxyCounts } from './counting-proxy';
import { seededRandom } from './stats';
import {
  BENCH_CREDENTIAL,
  type Delivery,
  deliveriesWithDuplicates,
  seedFailures,
  snsEventFor,
} from './workload';

/** Which function runs. */
export type Flavor = 'retrier' | 'tutorial';

/** The shared pieces of the emulator benchmarks. */
export interface Stage {
  readonly proxy: CountingProxy;
  /** Creates a fresh set of the stack's resources in moto. */
  readonly provision: () => Promise<LocalResources>;
  readonly workerFile: string;
  readonly bundles: Readonly<Record<Flavor, string>>;
  /** The deployed function's literal environment (policy, Powertools, NODE_OPTIONS, ...). */
  readonly functionEnv: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** The function's memory size: the worker gets Lambda's node flags for it. */
  readonly memoryMb: number;
}

/** The workload of one run. */
export interface Workload {
  readonly flows: number;
  /** Distinct failed runs, one alert each. */
  readonly failedRuns: number;
  /** Repeated deliveries of alerts already sent (distinct alerts, the same event id). */
  readonly duplicates: number;
  readonly concurrency: number;
  readonly seed: number;
}

/** What one run of one flavor came to. */
export interface FlavorRun {
  readonly flavor: Flavor;
  readonly workload: Workload;
  /** The moto resources this run used. */
  readonly resources: LocalResources;
  /** Alerts delivered (failed runs plus duplicates). */
  readonly alerts: number;
  readonly worker: WorkerRun;
  readonly emulator: EmulatorStats;
  /** AWS calls this run made, by service then operation. */
  readonly aws: ProxyCounts;
  /** Ids of the failed runs the alerts were about. */
  readonly runIds: readonly string[];
}

function diffTally(after: CallTally, before: CallTally): CallTally {
  const result: CallTally = {};
  for (const [service, operations] of Object.entries(after)) {
    for (const [operation, count] of Object.entries(operations)) {
      const delta = count - (before[service]?.[operation] ?? 0);
      if (delta > 0) result[service] = { ...(result[service] ?? {}), [operation]: delta };
    }
  }
  return result;
}

/** The counts between two snapshots. */
export function diffCounts(after: ProxyCounts, before: ProxyCounts): ProxyCounts {
  return {
    calls: diffTally(after.calls, before.calls),
    errors: diffTally(after.errors, before.errors),
    // Largest bodies are not additive: the run's own maxima are not recoverable from two snapshots,
    // so the proxy's running maxima are kept (an upper bound for this run).
    maxBodyBytes: after.maxBodyBytes,
    upstreamMs: diffTally(after.upstreamMs, before.upstreamMs),
    dynamodb: {
      itemWrites: after.dynamodb.itemWrites - before.dynamodb.itemWrites,
      transactItems: after.dynamodb.transactItems - before.dynamodb.transactItems,
      consistentReads: after.dynamodb.consistentReads - before.dynamodb.consistentReads,
      eventualReads: after.dynamodb.eventualReads - before.dynamodb.eventualReads,
    },
  };
}

/** Total calls of one service in a tally. */
export function serviceCalls(tally: CallTally, service: string): number {
  return Object.values(tally[service] ?? {}).reduce((total, count) => total + count, 0);
}

/** Runs one flavor over a fresh emulator. */
export async function runFlavor(stage: Stage, flavor: Flavor, workload: Workload): Promise<FlavorRun> {
  const resources = await stage.provision();
  const emulator = await startEmulator();
  try {
    emulator.state.addCredential({
      clientId: BENCH_CREDENTIAL.clientId,
      clientSecret: BENCH_CREDENTIAL.clientSecret,
      orgId: BENCH_CREDENTIAL.orgId,
    });
    const seeded = seedFailures(emulator.state, workload.flows, workload.failedRuns);
    const deliveries: Delivery[] = deliveriesWithDuplicates(
      seeded.alerts,
      workload.duplicates,
      seededRandom(workload.seed),
    );
    const events = deliveries.map((delivery) =>
      JSON.stringify(snsEventFor(delivery, resources.alertsTopicArn)),
    );
    const aws = motoEnvironment(stage.proxy.endpoint);
    const env =
      flavor === 'retrier'
        ? {
            ...stage.functionEnv,
            ...retrierEnvironment(resources, emulator),
            // The template's policy and Powertools settings win over the sandbox defaults.
            ...pickDefined(stage.functionEnv, ['RETRY_POLICY', 'POWERTOOLS_LOG_LEVEL', 'LEDGER_TTL_DAYS']),
            POWERTOOLS_METRICS_DISABLED: 'false',
            ...aws,
          }
        : {
            TUTORIAL_SECRET_ID: resources.credentialsSecretId,
            TUTORIAL_TOPIC_ARN: resources.outcomesTopicArn,
            IMS_TOKEN_URL: emulator.imsTokenUrl,
            FLOW_SERVICE_URL: emulator.flowServiceUrl,
            ...aws,
          };
    const before = stage.proxy.counts();
    const worker = await runWorker(
      stage.workerFile,
      {
        bundle: stage.bundles[flavor],
        env,
        events,
        concurrency: workload.concurrency,
        retryAttempts: 2,
        retryDelayMs: 100,
        timeoutMs: stage.timeoutSeconds * 1000,
        sampleEveryMs: 10,
      },
      {
        nodeOptions: stage.functionEnv.NODE_OPTIONS ?? '',
        nodeFlags: lambdaNodeFlags(stage.memoryMb),
        timeoutMs: 240_000,
      },
    );
    return {
      flavor,
      workload,
      resources,
      alerts: events.length,
      worker,
      emulator: emulator.state.stats(),
      aws: diffCounts(stage.proxy.counts(), before),
      runIds: seeded.runs.map((run) => run.id),
    };
  } finally {
    await emulator.close();
  }
}

function pickDefined(
  source: Readonly<Record<string, string>>,
  names: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    names.filter((name) => source[name] !== undefined).map((name) => [name, source[name] as string]),
  );
}

/** Re-trigger POSTs per failed run: how many runs got 0, 1, 2, ... new runs. */
export function postsPerRun(run: FlavorRun): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const id of run.runIds) {
    const posts = run.emulator.retriggers.bySourceRun[id] ?? 0;
    histogram[String(posts)] = (histogram[String(posts)] ?? 0) + 1;
  }
  return histogram;
}

/** Runs created beyond the first per failed run. */
export function duplicateRuns(run: FlavorRun): number {
  return run.runIds.reduce(
    (total, id) => total + Math.max(0, (run.emulator.retriggers.bySourceRun[id] ?? 0) - 1),
    0,
  );
}
