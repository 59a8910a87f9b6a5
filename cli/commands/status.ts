/**
 * `status <runId>`: what the ledger knows of a run and its whole chain, from the root run through
 * every re-trigger: attempts, run ids, states, outcomes, error codes, due times.
 */
import { MAX_ATTEMPTS_LIMIT } from '../../contracts/retry-policy';
import type { LedgerPort, RunRecord } from '../../lambda/core/ports';
import { SAFE_ID } from '../../lambda/core/run-object';
import type { CommandSpec } from '../command';
import { CliError, EXIT, UsageError } from '../errors';
import { isoTime, say, table } from '../io';

/** One run of a chain, as `status` shows it. */
export interface ChainEntry {
  readonly runId: string;
  /** 0 for the root run, n for the run re-trigger n created. */
  readonly attempt: number;
  /** Null when the ledger holds no item (it expired, or the run predates the tool). */
  readonly record: RunRecord | null;
  readonly errorCodes: readonly string[];
}

/** What the ledger's claim state means, in words. */
export function describeState(record: RunRecord | null, now: number): string {
  if (!record) return 'not in the ledger (expired?)';
  switch (record.state) {
    case 'claimed': {
      const lease = record.leaseUntil ?? 0;
      if (lease === 0) return 'released: waiting for a redelivery';
      return lease > now
        ? `claimed: being handled (lease until ${isoTime(lease)})`
        : `claimed: lease ran out at ${isoTime(lease)} (crashed? a redelivery takes over)`;
    }
    case 'scheduled':
      return `scheduled: re-trigger due ${isoTime(record.dueAt)}`;
    case 'lineage':
      return 'created by a re-trigger; no failure alert about it';
    default:
      return record.announced === false ? 'done (announcement pending)' : 'done';
  }
}

/**
 * Follows a run's lineage back to its root and `childRunId` forward to the newest run.
 * @returns the chain, oldest first, or null when the ledger has no record of the run
 */
export async function readChain(ledger: LedgerPort, runId: string): Promise<ChainEntry[] | null> {
  const record = await ledger.getRun(runId);
  if (!record) return null;
  const entries: ChainEntry[] = [];
  for (const link of record.lineage?.chain ?? []) {
    const ancestor = await ledger.getRun(link.runId);
    entries.push({
      runId: link.runId,
      attempt: link.attempt,
      record: ancestor,
      errorCodes: ancestor?.errorCodes ?? link.errorCodes,
    });
  }
  const seen = new Set(entries.map((entry) => entry.runId));
  let current: RunRecord | null = record;
  // A chain is at most the policy's limit of re-triggers long; the bound also guards against a loop.
  for (let step = 0; current && step <= MAX_ATTEMPTS_LIMIT + 1 && !seen.has(current.runId); step++) {
    seen.add(current.runId);
    entries.push({
      runId: current.runId,
      attempt: current.lineage?.attempt ?? 0,
      record: current,
      errorCodes: current.errorCodes ?? [],
    });
    const child: string | undefined = current.childRunId;
    current = child ? ((await ledger.getRun(child)) ?? { runId: child, state: 'lineage' }) : null;
  }
  return entries;
}

function entryJson(entry: ChainEntry, now: number) {
  const { record } = entry;
  return {
    runId: entry.runId,
    attempt: entry.attempt,
    inLedger: record !== null,
    state: record?.state ?? null,
    description: describeState(record, now),
    outcome: record?.outcome ?? null,
    reason: record?.reason ?? null,
    errorCodes: entry.errorCodes,
    retriggerNumber: record?.attempt ?? null,
    childRunId: record?.childRunId ?? null,
    dueAt: record?.dueAt ? isoTime(record.dueAt) : null,
    claimedAt: record?.claimedAt ? isoTime(record.claimedAt) : null,
    leaseUntil: record?.leaseUntil ? isoTime(record.leaseUntil) : null,
    updatedAt: record?.updatedAt ? isoTime(record.updatedAt) : null,
  };
}

/** `aep-autoretry status`. */
export const statusCommand: CommandSpec = {
  name: 'status',
  summary: "Show a run's chain: attempts, run ids, outcomes, error codes, due times",
  synopsis: '<runId>',
  description: [
    'Reads the ledger: the run, its ancestors back to the root run (the lineage the retrier',
    'recorded) and its re-triggers forward, one row per run with the attempt, the ledger state',
    '(claimed, scheduled, done), the outcome, the error codes and the due time of a scheduled',
    're-trigger; then the pause of its dataflow, if any. Exit code 1 when the ledger has no record.',
  ].join('\n'),
  positionals: [{ name: 'runId', description: 'any run of the chain: the root or a re-triggered one' }],
  options: {},
  examples: [
    'npx aep-autoretry status 6e4b1c2a-0f0e-4c1d-9a7b-2b1f4c3d5e6f --stack AepDataflowAutoRetry',
    'npx aep-autoretry status 6e4b1c2a-0f0e-4c1d-9a7b-2b1f4c3d5e6f --local --json',
  ],
  async run(context, input) {
    const [runId = ''] = input.positionals;
    if (!SAFE_ID.test(runId)) throw new UsageError(`"${runId}" is not a run id`, 'status');
    const { ledger, target } = await context.services();
    const chain = await readChain(ledger, runId);
    if (!chain) {
      throw new CliError(
        `The ledger (${target.resources.ledgerTableName}) has no record of run ${runId}: no alert about it reached the retrier, it was never re-triggered by the tool, or its item expired (after ${target.config.ledgerTtlDays} days)`,
      );
    }
    const now = Date.now();
    const asked = chain.find((entry) => entry.runId === runId)?.record;
    const flowId = asked?.flowId ?? chain.find((entry) => entry.record?.flowId)?.record?.flowId;
    const pause = flowId ? await ledger.getFlowPause(flowId) : null;
    const root = chain[0]?.runId ?? runId;
    if (context.json) {
      say(
        context.io,
        JSON.stringify(
          {
            runId,
            rootRunId: root,
            flowId: flowId ?? null,
            sandboxName: asked?.sandboxName ?? null,
            imsOrgId: asked?.imsOrgId ?? null,
            chain: chain.map((entry) => entryJson(entry, now)),
            pause: pause ? { ...pause, pausedAt: isoTime(pause.pausedAt) } : null,
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    const { io } = context;
    say(
      io,
      `Run ${runId}: dataflow ${flowId ?? '?'}, sandbox ${asked?.sandboxName ?? '?'}, org ${asked?.imsOrgId ?? '?'}`,
    );
    say(io, `Chain from root run ${root} (${chain.length} run${chain.length === 1 ? '' : 's'}):`);
    const rows = chain.map((entry) => [
      `${entry.runId === runId ? '*' : ' '}${entry.attempt}`,
      entry.runId,
      entry.record?.outcome ?? '-',
      entry.errorCodes.length > 0 ? entry.errorCodes.join(',') : '-',
      isoTime(entry.record?.dueAt),
      describeState(entry.record, now),
    ]);
    for (const line of table(['attempt', 'run', 'outcome', 'error codes', 'due', 'state'], rows))
      say(io, `  ${line}`);
    const reasons = chain.filter((entry) => entry.record?.reason);
    if (reasons.length > 0) {
      say(io, 'Reasons:');
      for (const entry of reasons) say(io, `  ${entry.runId}: ${entry.record?.reason}`);
    }
    if (pause) {
      say(
        io,
        `Dataflow ${pause.flowId} is paused${pause.by ? ` by ${pause.by}` : ''} since ${isoTime(pause.pausedAt)}${pause.reason ? `: ${pause.reason}` : ''}`,
      );
    }
    return EXIT.ok;
  },
};
