/**
 * Property-style test of exactly once (issue 3): many failed runs across several dataflows, their
 * alerts delivered one to three times each, in every envelope, shuffled, in concurrent batches
 * spread over several containers; new runs fail again (their alerts overtaking late duplicates of
 * their parents' alerts), attempt 2 waits on the real delay queue; some codes are not retryable and
 * one flow is disabled. Driven until every chain has ended, then:
 * - exactly one POST per (run, attempt): Flow Service re-triggered each run at most once;
 * - exactly one terminal outcome per failed run, and the one the policy calls for;
 * - nothing went to the on-failure queue.
 *
 * The PRNG is seeded (override with SHUFFLE_SEED) so a failure can be replayed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type OutcomeMessage, TERMINAL_OUTCOMES } from '../../contracts/outcome';
import { type AlertPayload, inCloudEvents, inEventBridge, inLegacyEnvelope } from '../../emulator/alerts';
import type { FlowObject } from '../../emulator/types';
import { deliverOnce } from '../../sandbox/delivery';
import type { LambdaHandler } from '../../sandbox/local-lambda';
import {
  alertLogLines,
  captureOutput,
  motoProxyStats,
  pendingRetries,
  startWorld,
  type World,
} from '../support/local-world';
import { seededRandom } from '../support/random';

const SEED = Number(process.env.SHUFFLE_SEED ?? 20_260_917);
const FLOWS = 8;
const ROOT_RUNS = 20;
const MAX_ATTEMPTS = 3;
const NON_RETRYABLE = 'CONNECTOR-2001-500';
/** A bound on the drive (it takes a few seconds); the assertions then tell whether it finished. */
const DRIVE_LIMIT_MS = 45_000;

/** One failed run the drive published alerts for, and what the policy says must become of it. */
interface FailedRun {
  readonly runId: string;
  readonly flow: FlowObject;
  readonly attempt: number;
  readonly retryable: boolean;
  /** The run this one was re-triggered from. */
  readonly parentRunId?: string;
  /** The alert Adobe sent about it. */
  readonly alert: AlertPayload;
  /** Its re-triggered runs always fail again, with retryable codes: a chain that must exhaust. */
  readonly alwaysFails?: boolean;
}

/** One copy of an alert waiting to be published. */
interface Copy {
  readonly runId: string;
  readonly message: string;
}

let world: World;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  output = captureOutput();
  world = await startWorld({
    policy: { maxAttempts: MAX_ATTEMPTS, delaysSeconds: [0, 1, 0], jitterRatio: 0 },
  });
});

afterAll(async () => {
  output.restore();
  await world.close();
});

it(`re-triggers each (run, attempt) once and ends each failed run once, however alerts are shuffled (seed ${SEED})`, async () => {
  // Prepare
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const flows = Array.from({ length: FLOWS }, (_, index) =>
    world.addFlow(index === 0 ? { state: 'disabled' } : {}),
  );
  const failed = new Map<string, FailedRun>();
  const pool: Copy[] = [];
  const envelopes = [
    (payload: AlertPayload) => payload,
    (payload: AlertPayload) => inCloudEvents(payload),
    (payload: AlertPayload) => inLegacyEnvelope(payload),
    (payload: AlertPayload) => inEventBridge(payload),
  ];
  const copyOf = (run: FailedRun): Copy => ({
    runId: run.runId,
    message: JSON.stringify(pick(envelopes)(run.alert)),
  });
  /** Records a failed run and puts one to three copies of its alert, in random envelopes, in the pool. */
  const fail = (run: FailedRun) => {
    failed.set(run.runId, run);
    const copies = 1 + Math.floor(random() * 3);
    for (let copy = 0; copy < copies; copy++) pool.push(copyOf(run));
  };
  for (let index = 0; index < ROOT_RUNS; index++) {
    // The first three roots make sure of a chain to exhaustion (through a delayed attempt), a code
    // the policy refuses, and a disabled flow; the rest are random.
    const flow =
      index === 0 ? (flows[1] as FlowObject) : index === 2 ? (flows[0] as FlowObject) : pick(flows);
    const retryable = index === 1 ? false : index === 0 || index === 2 || random() < 0.85;
    const { run, alert } = world.failedRun(flow, retryable ? {} : { errors: [NON_RETRYABLE] });
    fail({ runId: run.id, flow, attempt: 1, retryable, alert, alwaysFails: index === 0 });
  }
  const containers: LambdaHandler[] = [world.handler, world.newContainer(), world.newContainer()];
  let next = 0;
  const spread: LambdaHandler = (event, context) => {
    const container = containers[next++ % containers.length] as LambdaHandler;
    return container(event, context);
  };
  const outcomes: OutcomeMessage[] = [];
  let sentToOnFailure = 0;
  let rounds = 0;
  let overtaken = 0;
  const started = Date.now();

  // Act
  for (;;) {
    if (Date.now() - started > DRIVE_LIMIT_MS) break;
    const pending = await pendingRetries(world);
    if (pool.length === 0 && pending === 0) break;
    rounds++;
    // A random handful of waiting alerts, taken from anywhere in the pool: parents' duplicates may
    // stay behind while their children's alerts go out.
    const batch = Array.from(
      { length: Math.min(pool.length, 1 + Math.floor(random() * 12)) },
      () => pool.splice(Math.floor(random() * pool.length), 1)[0] as Copy,
    );
    for (const copy of batch) {
      const parent = failed.get(copy.runId)?.parentRunId;
      if (parent && pool.some((waiting) => waiting.runId === parent)) overtaken++;
      await world.publishAlert(copy.message);
    }
    const round = await deliverOnce({
      sqs: world.sqs,
      resources: world.resources,
      handler: spread,
      concurrency: 4,
    });
    sentToOnFailure += round.sentToOnFailure;
    const fresh = await world.outcomes();
    outcomes.push(...fresh);
    for (const outcome of fresh) {
      if (outcome.outcome !== 'retriggered' || !outcome.newRunId || !outcome.runId) continue;
      const parent = failed.get(outcome.runId);
      // Some new runs succeed (no alert), most fail again; a few with a code a retry cannot fix.
      if (!parent || (!parent.alwaysFails && random() < 0.4)) continue;
      const retryable = parent.alwaysFails === true || random() < 0.9;
      const alert = world.emulator.state.completeRun(outcome.newRunId, {
        status: 'failed',
        ...(retryable ? {} : { errors: [NON_RETRYABLE] }),
      });
      fail({
        runId: outcome.newRunId,
        flow: parent.flow,
        attempt: parent.attempt + 1,
        retryable,
        parentRunId: parent.runId,
        alert,
        alwaysFails: parent.alwaysFails,
      });
      // A late duplicate of the parent's alert, which the child's alert may overtake.
      pool.push(copyOf(parent));
    }
    // Only scheduled re-triggers are left: wait for them to come due.
    if (pool.length === 0 && batch.length === 0) await sleep(200);
  }
  outcomes.push(...(await world.outcomes()));

  // Assess
  expect(pool.map((copy) => copy.runId)).toEqual([]);
  expect(await pendingRetries(world)).toBe(0);
  expect(sentToOnFailure).toBe(0);
  expect((await motoProxyStats()).maxDynamodbInFlight).toBe(1);
  const { bySourceRun } = world.emulator.state.stats().retriggers;
  expect(Object.entries(bySourceRun).filter(([, count]) => count !== 1)).toEqual([]);
  const terminal = outcomes.filter((outcome) => TERMINAL_OUTCOMES.includes(outcome.outcome));
  const terminalRuns = terminal.map((outcome) => outcome.runId);
  expect(new Set(terminalRuns).size).toBe(terminalRuns.length);
  expect(new Set(terminalRuns)).toEqual(new Set(failed.keys()));
  expect(Object.keys(bySourceRun).sort()).toEqual(
    terminal
      .filter((outcome) => outcome.outcome === 'retriggered')
      .map((outcome) => outcome.runId)
      .sort(),
  );
  for (const outcome of terminal) {
    const run = failed.get(outcome.runId ?? '') as FailedRun;
    const expected = !run.retryable
      ? 'not_retryable'
      : run.attempt > MAX_ATTEMPTS
        ? 'exhausted'
        : run.flow.state !== 'enabled'
          ? 'not_retryable'
          : 'retriggered';
    expect({ runId: run.runId, outcome: outcome.outcome, attempt: outcome.attempt }).toEqual({
      runId: run.runId,
      outcome: expected,
      attempt: run.attempt,
    });
  }
  // The drive covered what it claims to: duplicates, delays, chains to the end, refusals.
  const counts = (name: string) => outcomes.filter((outcome) => outcome.outcome === name).length;
  expect(failed.size).toBeGreaterThan(ROOT_RUNS);
  const logged = alertLogLines(output.lines());
  expect(logged.filter((line) => line.outcome === 'duplicate').length).toBeGreaterThan(0);
  const scheduled = outcomes.filter((outcome) => outcome.outcome === 'scheduled');
  expect(scheduled.length).toBeGreaterThan(0);
  expect(new Set(scheduled.map((outcome) => outcome.runId)).size).toBe(scheduled.length);
  expect(scheduled.every((outcome) => outcome.attempt === 2)).toBe(true);
  expect(counts('exhausted')).toBeGreaterThan(0);
  expect(counts('not_retryable')).toBeGreaterThan(0);
  expect(counts('duplicate')).toBe(0);
  expect(overtaken).toBeGreaterThan(0);
  expect(rounds).toBeGreaterThan(1);
}, 60_000);
