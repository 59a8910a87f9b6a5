/**
 * The ledger adapter against real DynamoDB semantics (moto_server): conditional claims, leases,
 * lineage, schedules, announcements and pauses.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createLedger } from '../../lambda/adapters/ledger';
import type { ClaimFacts, LedgerPort } from '../../lambda/core/ports';
import { createLedgerTable } from '../../sandbox/provision';

const facts: ClaimFacts = {
  flowId: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89',
  sandboxName: 'prod',
  imsOrgId: '4353388057AC8D357F000101@AdobeOrg',
  errorCodes: ['CONNECTOR-1001-500', '2200'],
};

const client = new DynamoDBClient({});
let tableName: string;
let ledger: LedgerPort;
let counter = 0;
const runId = () => `run-${Date.now()}-${++counter}`;
const NOW = 1_800_000_000_000;

beforeAll(async () => {
  tableName = `ledger-test-${process.pid}-${Date.now()}`;
  await createLedgerTable(client, tableName);
  ledger = createLedger({ client, tableName, ttlDays: 30 });
});

describe('claimRun', () => {
  it('claims a run no one has claimed', async () => {
    // Prepare
    const id = runId();

    // Act
    const result = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });

    // Assess
    expect(result.claimed).toBe(true);
    if (!result.claimed) return;
    expect(result.claim.runId).toBe(id);
    expect(result.claim.lineage).toBeUndefined();
    expect(result.claim.takeover).toBeUndefined();
    const record = await ledger.getRun(id);
    expect(record).toMatchObject({ state: 'claimed', flowId: facts.flowId, errorCodes: facts.errorCodes });
  });

  it('finds the live claim of a second delivery: duplicate', async () => {
    // Prepare
    const id = runId();
    await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });

    // Act
    const second = await ledger.claimRun(id, facts, { now: NOW + 1000, leaseMs: 60_000 });

    // Assess
    expect(second.claimed).toBe(false);
    if (second.claimed) return;
    expect(second.existing.state).toBe('claimed');
  });

  it('lets exactly one of 10 concurrent deliveries win', async () => {
    // Prepare
    const id = runId();

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 })),
    );

    // Assess
    expect(results.filter((result) => result.claimed)).toHaveLength(1);
  });

  it('takes over an expired lease and says the crashed holder may have posted', async () => {
    // Prepare
    const id = runId();
    const first = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });

    // Act
    const second = await ledger.claimRun(id, facts, { now: NOW + 61_000, leaseMs: 60_000 });

    // Assess
    expect(first.claimed && second.claimed).toBe(true);
    if (!second.claimed) return;
    expect(second.claim.takeover).toEqual({ previousClaimedAt: NOW, mayHavePosted: true });
  });

  it('takes over a released claim at once and keeps its may-have-posted mark', async () => {
    // Prepare
    const idClean = runId();
    const idAmbiguous = runId();
    const clean = await ledger.claimRun(idClean, facts, { now: NOW, leaseMs: 60_000 });
    const ambiguous = await ledger.claimRun(idAmbiguous, facts, { now: NOW, leaseMs: 60_000 });
    if (!clean.claimed || !ambiguous.claimed) throw new Error('claims expected');
    await ledger.release(clean.claim, { mayHavePosted: false });
    await ledger.release(ambiguous.claim, { mayHavePosted: true });

    // Act
    const retakenClean = await ledger.claimRun(idClean, facts, { now: NOW + 1000, leaseMs: 60_000 });
    const retakenAmbiguous = await ledger.claimRun(idAmbiguous, facts, { now: NOW + 1000, leaseMs: 60_000 });

    // Assess
    expect(retakenClean.claimed && retakenClean.claim.takeover?.mayHavePosted).toBe(false);
    expect(retakenAmbiguous.claimed && retakenAmbiguous.claim.takeover?.mayHavePosted).toBe(true);
  });

  it('refuses a claim after an outcome, unless an operator reclaims a run that was never re-triggered', async () => {
    // Prepare
    const id = runId();
    const first = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    if (!first.claimed) throw new Error('claim expected');
    await ledger.finish(first.claim, {
      outcome: 'not_retryable',
      reason: 'MAPPER-3700-400',
      attempt: 1,
      now: NOW,
    });

    // Act
    const again = await ledger.claimRun(id, facts, { now: NOW + 1000, leaseMs: 60_000 });
    const manual = await ledger.claimRun(
      id,
      facts,
      { now: NOW + 2000, leaseMs: 60_000 },
      { reclaimFinished: true },
    );

    // Assess
    expect(again.claimed).toBe(false);
    if (!again.claimed) expect(again.existing).toMatchObject({ state: 'done', outcome: 'not_retryable' });
    expect(manual.claimed).toBe(true);
  });

  it('never lets an operator reclaim a run that was re-triggered', async () => {
    // Prepare
    const id = runId();
    const first = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    if (!first.claimed) throw new Error('claim expected');
    await ledger.recordRetrigger(first.claim, { newRunId: runId(), attempt: 1, facts, now: NOW });

    // Act
    const manual = await ledger.claimRun(
      id,
      facts,
      { now: NOW + 2000, leaseMs: 60_000 },
      { reclaimFinished: true },
    );

    // Assess
    expect(manual.claimed).toBe(false);
  });
});

describe('recordRetrigger', () => {
  it('makes the new run attempt 1 of the root, so its own failure continues the chain', async () => {
    // Prepare
    const root = runId();
    const child = runId();
    const claim = await ledger.claimRun(root, facts, { now: NOW, leaseMs: 60_000 });
    if (!claim.claimed) throw new Error('claim expected');

    // Act
    await ledger.recordRetrigger(claim.claim, { newRunId: child, attempt: 1, facts, now: NOW });
    const childClaim = await ledger.claimRun(
      child,
      { ...facts, errorCodes: ['CONNECTOR-3001-500'] },
      {
        now: NOW + 5000,
        leaseMs: 60_000,
      },
    );

    // Assess
    expect(await ledger.getRun(root)).toMatchObject({
      state: 'done',
      outcome: 'retriggered',
      childRunId: child,
      announced: false,
    });
    expect(childClaim.claimed).toBe(true);
    if (!childClaim.claimed) return;
    expect(childClaim.claim.lineage).toEqual({
      rootRunId: root,
      parentRunId: root,
      attempt: 1,
      chain: [{ runId: root, attempt: 0, errorCodes: facts.errorCodes }],
    });
  });

  it('throws when the claim was lost to a takeover, recording nothing', async () => {
    // Prepare
    const id = runId();
    const first = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 1000 });
    await ledger.claimRun(id, facts, { now: NOW + 5000, leaseMs: 60_000 });
    if (!first.claimed) throw new Error('claim expected');

    // Act
    const act = ledger.recordRetrigger(first.claim, {
      newRunId: 'late-child',
      attempt: 1,
      facts,
      now: NOW + 6000,
    });

    // Assess
    await expect(act).rejects.toThrow(/claim on run .* was lost/);
    expect((await ledger.getRun(id))?.state).toBe('claimed');
  });

  it('writes the TTL attribute the table expires items by', async () => {
    // Prepare
    const id = runId();

    // Act
    await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    const raw = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: `RUN#${id}` } } }),
    );

    // Assess
    expect(Number(raw.Item?.expiresAt?.N)).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
  });
});

describe('schedules', () => {
  it('lets only the message holding the schedule token fire, and only once', async () => {
    // Prepare
    const id = runId();
    const claim = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    if (!claim.claimed) throw new Error('claim expected');
    await ledger.markScheduled(claim.claim, { dueAt: NOW + 300_000, attempt: 2, now: NOW });

    // Act
    const wrongToken = await ledger.claimScheduled(id, 'another-token', {
      now: NOW + 300_000,
      leaseMs: 60_000,
    });
    const fired = await Promise.all(
      Array.from({ length: 5 }, () =>
        ledger.claimScheduled(id, claim.claim.token, { now: NOW + 300_000, leaseMs: 60_000 }),
      ),
    );

    // Assess
    expect(wrongToken.claimed).toBe(false);
    expect(fired.filter((result) => result.claimed)).toHaveLength(1);
    expect(await ledger.getRun(id)).toMatchObject({ state: 'claimed', attempt: 2, dueAt: NOW + 300_000 });
  });

  it('answers a fresh delivery of a scheduled run as duplicate', async () => {
    // Prepare
    const id = runId();
    const claim = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    if (!claim.claimed) throw new Error('claim expected');
    await ledger.markScheduled(claim.claim, { dueAt: NOW + 300_000, attempt: 1, now: NOW });

    // Act
    const again = await ledger.claimRun(id, facts, { now: NOW + 500_000, leaseMs: 60_000 });

    // Assess
    expect(again.claimed).toBe(false);
    if (!again.claimed) expect(again.existing.state).toBe('scheduled');
  });
});

describe('announcements and pauses', () => {
  it('notes a late announcement once', async () => {
    // Prepare
    const id = runId();
    const claim = await ledger.claimRun(id, facts, { now: NOW, leaseMs: 60_000 });
    if (!claim.claimed) throw new Error('claim expected');
    await ledger.recordRetrigger(claim.claim, { newRunId: runId(), attempt: 1, facts, now: NOW });
    await ledger.settleAnnouncement(claim.claim, false);
    const before = await ledger.getRun(id);

    // Act
    await ledger.markReannounced(id);
    await ledger.markReannounced(id);

    // Assess
    expect(before).toMatchObject({ announced: false, leaseUntil: 0 });
    expect((await ledger.getRun(id))?.announced).toBe(true);
  });

  it('stores, reads and clears a pause', async () => {
    // Prepare
    const flowId = `flow-${Date.now()}`;

    // Act
    await ledger.setFlowPause(flowId, { pausedAt: NOW, by: 'ops@example.com', reason: 'source outage' });
    const paused = await ledger.getFlowPause(flowId);
    await ledger.setFlowPause(flowId, null);
    const resumed = await ledger.getFlowPause(flowId);

    // Assess
    expect(paused).toEqual({ flowId, pausedAt: NOW, by: 'ops@example.com', reason: 'source outage' });
    expect(resumed).toBeNull();
  });

  it('throws a configuration error naming the table when it does not exist', async () => {
    // Prepare
    const missing = createLedger({ client, tableName: 'no-such-table' });

    // Act
    const act = missing.getRun('x');

    // Assess
    await expect(act).rejects.toMatchObject({
      kind: 'configuration',
      message: expect.stringContaining('no-such-table'),
    });
  });
});
