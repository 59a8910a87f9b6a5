/**
 * Warm per-alert overhead: the retrier (`createRetrier`) over the in-process fakes of every port,
 * handling distinct failure alerts (SNS message strings of `failureAlertFor` payloads) one after
 * another once warmed up. With no I/O, what is left is the retrier's own work per alert: parsing
 * and normalising the alert, the policy decision, the ledger steps and the outcome message.
 */
import { DEFAULT_RETRY_POLICY } from '../contracts/retry-policy';
import { EmulatorState } from '../emulator/state';
import { createRetrier } from '../lambda/core/retrier';
import { readRunObject } from '../lambda/core/run-object';
import {
  createFakeFlowService,
  createMemoryLedger,
  recordingDelayQueue,
  recordingOutcomes,
  staticCredentials,
} from '../test/support/fakes';
import { type Summary, seededRandom, summarize } from './stats';
import { BENCH_CREDENTIAL, seedFailures } from './workload';

/** Result of {@link measureWarmOverhead}. */
export interface WarmOverheadResult {
  readonly warmupAlerts: number;
  /** Per distinct failure alert (claim, verify, re-trigger, record, announce), in microseconds. */
  readonly failure: Summary;
  /** Per repeated delivery of an alert already handled (claim refused: `duplicate`), in microseconds. */
  readonly duplicate: Summary;
  /** Distinct alerts handled per second, one at a time. */
  readonly alertsPerSecond: number;
}

/**
 * Handles `warmup` alerts unmeasured, then `measured` distinct alerts, then `duplicates` repeated
 * deliveries, timing each `handleAlert`.
 * @throws Error when an alert does not end as expected (the fakes and the retrier disagree)
 */
export async function measureWarmOverhead(options: {
  warmup: number;
  measured: number;
  duplicates: number;
}): Promise<WarmOverheadResult> {
  const { warmup, measured, duplicates } = options;
  const state = new EmulatorState();
  const seeded = seedFailures(state, 200, warmup + measured);
  const flowService = createFakeFlowService();
  for (const run of seeded.runs) {
    const read = readRunObject(run);
    if (!read) throw new Error(`run ${run.id} could not be read`);
    flowService.runs.set(read.id, read);
  }
  for (const flow of seeded.flows)
    flowService.flows.set(flow.id, { id: flow.id, name: flow.name, state: 'enabled' });
  const random = seededRandom(7);
  const retrier = createRetrier({
    flowService,
    credentials: staticCredentials([{ ...BENCH_CREDENTIAL, scopes: BENCH_CREDENTIAL.scopes.split(',') }]),
    ledger: createMemoryLedger(),
    outcomes: recordingOutcomes(),
    delayQueue: recordingDelayQueue(),
    policy: DEFAULT_RETRY_POLICY,
    dryRun: false,
    clock: { now: () => Date.now() },
    random,
  });
  const messages = seeded.alerts.map((alert) => JSON.stringify(alert));

  const handle = async (message: string, expected: string): Promise<number> => {
    const started = performance.now();
    const result = await retrier.handleAlert(message, { deadline: Date.now() + 57_000 });
    const elapsed = performance.now() - started;
    if (result.outcome !== expected) {
      throw new Error(`warm overhead: expected ${expected}, got ${result.outcome} (${result.reason})`);
    }
    return elapsed * 1000;
  };

  for (const message of messages.slice(0, warmup)) await handle(message, 'retriggered');
  const failureSamples: number[] = [];
  const started = performance.now();
  for (const message of messages.slice(warmup)) failureSamples.push(await handle(message, 'retriggered'));
  const elapsedMs = performance.now() - started;
  const duplicateSamples: number[] = [];
  for (let i = 0; i < duplicates; i++) {
    const message = messages[warmup + Math.floor(random() * measured)] as string;
    duplicateSamples.push(await handle(message, 'duplicate'));
  }
  return {
    warmupAlerts: warmup,
    failure: summarize(failureSamples),
    duplicate: summarize(duplicateSamples),
    alertsPerSecond: measured / (elapsedMs / 1000),
  };
}
