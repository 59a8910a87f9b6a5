/**
 * The retry ledger on DynamoDB: one item per run (`RUN#<runId>`) holding its claim, outcome and
 * lineage, and one per paused dataflow (`FLOW#<flowId>`). Every write that matters is a
 * conditional write, so two deliveries of one alert, in one container or many, cannot both win.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ChainLink, Outcome } from '../../contracts/outcome';
import { AwsCallError } from '../core/errors';
import type {
  Claim,
  ClaimFacts,
  ClaimResult,
  FlowPause,
  LedgerPort,
  Lineage,
  RunRecord,
} from '../core/ports';
import { awsCallError } from './aws-errors';

/** Settings of {@link createLedger}. */
export interface LedgerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Days a run item lives after its last write (DynamoDB TTL attribute `expiresAt`). @default 30 */
  readonly ttlDays?: number;
  /** Makes claim tokens. @default crypto.randomUUID */
  readonly newToken?: () => string;
}

type Item = Record<string, AttributeValue>;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const BOOL = (value: boolean): AttributeValue => ({ BOOL: value });
const strings = (values: readonly string[]): AttributeValue => ({ L: values.map(S) });
const links = (chain: readonly ChainLink[]): AttributeValue => ({
  L: chain.map((link) => ({
    M: { runId: S(link.runId), attempt: N(link.attempt), errorCodes: strings(link.errorCodes) },
  })),
});

const str = (item: Item, key: string): string | undefined => item[key]?.S;
const num = (item: Item, key: string): number | undefined => {
  const value = item[key]?.N;
  return value === undefined ? undefined : Number(value);
};
const bool = (item: Item, key: string): boolean | undefined => item[key]?.BOOL;
const strList = (value: AttributeValue | undefined): string[] =>
  (value?.L ?? []).map((entry) => entry.S).filter((entry): entry is string => entry !== undefined);

function readChain(value: AttributeValue | undefined): ChainLink[] {
  return (value?.L ?? []).flatMap((entry) => {
    const map = entry.M;
    const runId = map?.runId?.S;
    if (!map || !runId) return [];
    return [{ runId, attempt: Number(map.attempt?.N ?? 0), errorCodes: strList(map.errorCodes) }];
  });
}

function readLineage(item: Item): Lineage | undefined {
  const rootRunId = str(item, 'rootRunId');
  const parentRunId = str(item, 'parentRunId');
  if (!rootRunId || !parentRunId) return undefined;
  return { rootRunId, parentRunId, attempt: num(item, 'lineageAttempt') ?? 0, chain: readChain(item.chain) };
}

/** Reads a run item into a {@link RunRecord}. */
export function readRunItem(item: Item): RunRecord {
  const pk = str(item, 'pk') ?? '';
  return {
    runId: pk.replace(/^RUN#/, ''),
    state: (str(item, 'state') ?? 'lineage') as RunRecord['state'],
    flowId: str(item, 'flowId'),
    sandboxName: str(item, 'sandboxName'),
    imsOrgId: str(item, 'imsOrgId'),
    lineage: readLineage(item),
    errorCodes: item.errorCodes ? strList(item.errorCodes) : undefined,
    attempt: num(item, 'attempt'),
    outcome: str(item, 'outcome') as Outcome | undefined,
    reason: str(item, 'reason'),
    childRunId: str(item, 'childRunId'),
    announced: bool(item, 'announced'),
    dueAt: num(item, 'dueAt'),
    claimedAt: num(item, 'claimedAt'),
    leaseUntil: num(item, 'leaseUntil'),
    updatedAt: num(item, 'updatedAt'),
  };
}

/** Builds `#name` placeholders for every attribute an expression uses (some are reserved words). */
function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));
}

/** A {@link LedgerPort} over a DynamoDB table with partition key `pk` (string). */
export function createLedger(options: LedgerOptions): LedgerPort {
  const { client, tableName } = options;
  const ttlSeconds = (options.ttlDays ?? 30) * 86_400;
  const newToken = options.newToken ?? (() => crypto.randomUUID());
  const runKey = (runId: string): Item => ({ pk: S(`RUN#${runId}`) });
  const flowKey = (flowId: string): Item => ({ pk: S(`FLOW#${flowId}`) });
  const expiresAt = (now: number) => N(Math.floor(now / 1000) + ttlSeconds);
  const fix = 'Check that LEDGER_TABLE_NAME names an existing table and the function may read and write it.';

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof AwsCallError) throw error;
      throw awsCallError(error, `${what} in ledger ${tableName}`, fix);
    }
  }

  async function read(key: Item): Promise<Item | undefined> {
    const answer = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return answer.Item;
  }

  /** Turns the old item of a won claim into the claim. */
  function claimFrom(runId: string, token: string, now: number, old: Item | undefined): Claim {
    const previous = old ? readRunItem(old) : undefined;
    const tookOver =
      previous?.state === 'claimed' || (previous?.state === 'done' && previous.claimedAt !== undefined);
    // A lease that ran out without a release means a crash: it may have posted.
    const crashed = previous?.state === 'claimed' && (previous.leaseUntil ?? 0) > 0;
    return {
      runId,
      token,
      claimedAt: now,
      lineage: previous?.lineage,
      ...(tookOver && previous
        ? {
            takeover: {
              previousClaimedAt: previous.claimedAt ?? now,
              mayHavePosted: crashed || (old ? bool(old, 'mayHavePosted') === true : false),
            },
          }
        : {}),
    };
  }

  /** A lost conditional claim: report what holds the run. */
  async function lost(runId: string, error: ConditionalCheckFailedException): Promise<ClaimResult> {
    const item = error.Item ?? (await read(runKey(runId)));
    const existing: RunRecord = item ? readRunItem(item) : { runId, state: 'claimed' };
    return { claimed: false, existing };
  }

  /** Runs a conditional update on our claim; a failed condition means the claim was lost. */
  async function onClaim(claim: Claim, what: string, update: ClaimUpdate): Promise<void> {
    await call(what, async () => {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: runKey(claim.runId),
            UpdateExpression: update.expression,
            ConditionExpression: `#claimToken = :token${update.condition ? ` AND ${update.condition}` : ''}`,
            ExpressionAttributeNames: names('claimToken', ...update.attributes),
            ExpressionAttributeValues: { ':token': S(claim.token), ...update.values },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw claimLost(claim, what);
        throw error;
      }
    });
  }

  return {
    async claimRun(runId, facts, lease, claimOptions = {}) {
      const token = newToken();
      const { now } = lease;
      const conditions = [
        'attribute_not_exists(#state)',
        '#state = :lineage',
        '(#state = :claimed AND #leaseUntil < :now)',
        ...(claimOptions.reclaimFinished ? ['(#state = :done AND attribute_not_exists(#childRunId))'] : []),
      ];
      return call(`claiming run ${runId}`, async () => {
        try {
          const answer = await client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: runKey(runId),
              UpdateExpression:
                'SET #kind = :run, #state = :claimed, #claimToken = :token, #claimedAt = :now, #leaseUntil = :lease, ' +
                '#flowId = :flowId, #sandboxName = :sandboxName, #imsOrgId = :imsOrgId, #errorCodes = :errorCodes, ' +
                '#createdAt = if_not_exists(#createdAt, :now), #updatedAt = :now, #expiresAt = :expiresAt ' +
                'REMOVE #outcome, #reason, #announced',
              ConditionExpression: conditions.join(' OR '),
              ExpressionAttributeNames: names(
                'kind',
                'state',
                'claimToken',
                'claimedAt',
                'leaseUntil',
                'flowId',
                'sandboxName',
                'imsOrgId',
                'errorCodes',
                'createdAt',
                'updatedAt',
                'expiresAt',
                'outcome',
                'reason',
                'announced',
                ...(claimOptions.reclaimFinished ? ['childRunId'] : []),
              ),
              ExpressionAttributeValues: {
                ':run': S('run'),
                ':claimed': S('claimed'),
                ':lineage': S('lineage'),
                ':token': S(token),
                ':now': N(now),
                ':lease': N(now + lease.leaseMs),
                ...factValues(facts),
                ':expiresAt': expiresAt(now),
                ...(claimOptions.reclaimFinished ? { ':done': S('done') } : {}),
              },
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          return { claimed: true, claim: claimFrom(runId, token, now, answer.Attributes) };
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return lost(runId, error);
          throw error;
        }
      });
    },

    async claimScheduled(runId, scheduleToken, lease) {
      const token = newToken();
      const { now } = lease;
      return call(`claiming the scheduled re-trigger of run ${runId}`, async () => {
        try {
          const answer = await client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: runKey(runId),
              UpdateExpression:
                'SET #state = :claimed, #claimToken = :token, #claimedAt = :now, #leaseUntil = :lease, #updatedAt = :now',
              ConditionExpression:
                '#scheduleToken = :scheduleToken AND (#state = :scheduled OR (#state = :claimed AND #leaseUntil < :now))',
              ExpressionAttributeNames: names(
                'state',
                'claimToken',
                'claimedAt',
                'leaseUntil',
                'updatedAt',
                'scheduleToken',
              ),
              ExpressionAttributeValues: {
                ':claimed': S('claimed'),
                ':scheduled': S('scheduled'),
                ':token': S(token),
                ':scheduleToken': S(scheduleToken),
                ':now': N(now),
                ':lease': N(now + lease.leaseMs),
              },
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          const old = answer.Attributes;
          // Firing a schedule is not a takeover unless an earlier firing was interrupted.
          const claim = claimFrom(
            runId,
            token,
            now,
            old && str(old, 'state') === 'claimed' ? old : undefined,
          );
          return { claimed: true, claim: { ...claim, lineage: old ? readLineage(old) : undefined } };
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return lost(runId, error);
          throw error;
        }
      });
    },

    async markScheduled(claim, details) {
      await onClaim(claim, `scheduling run ${claim.runId}`, {
        expression:
          'SET #state = :scheduled, #scheduleToken = :token, #dueAt = :dueAt, #attempt = :attempt, #leaseUntil = :zero, #updatedAt = :now',
        condition: '#state = :claimed',
        attributes: ['state', 'scheduleToken', 'dueAt', 'attempt', 'leaseUntil', 'updatedAt'],
        values: {
          ':scheduled': S('scheduled'),
          ':claimed': S('claimed'),
          ':dueAt': N(details.dueAt),
          ':attempt': N(details.attempt),
          ':zero': N(0),
          ':now': N(details.now),
        },
      });
    },

    async recordRetrigger(claim, details) {
      const { newRunId, attempt, facts, now } = details;
      const parentLink: ChainLink = {
        runId: claim.runId,
        attempt: claim.lineage?.attempt ?? 0,
        errorCodes: facts.errorCodes,
      };
      const what = `recording the re-trigger of run ${claim.runId} as ${newRunId}`;
      await call(what, async () => {
        try {
          await client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: runKey(claim.runId),
                    UpdateExpression:
                      'SET #state = :done, #outcome = :retriggered, #childRunId = :child, #attempt = :attempt, ' +
                      '#reason = :reason, #announced = :false, #mayHavePosted = :true, #updatedAt = :now',
                    ConditionExpression: '#claimToken = :token AND #state = :claimed',
                    ExpressionAttributeNames: names(
                      'state',
                      'outcome',
                      'childRunId',
                      'attempt',
                      'reason',
                      'announced',
                      'mayHavePosted',
                      'updatedAt',
                      'claimToken',
                    ),
                    ExpressionAttributeValues: {
                      ':done': S('done'),
                      ':retriggered': S('retriggered'),
                      ':child': S(newRunId),
                      ':attempt': N(attempt),
                      ':reason': S(`re-triggered as run ${newRunId}`),
                      ':false': BOOL(false),
                      ':true': BOOL(true),
                      ':now': N(now),
                      ':token': S(claim.token),
                      ':claimed': S('claimed'),
                    },
                  },
                },
                {
                  // if_not_exists: should the child's own alert have raced ahead, keep its claim.
                  Update: {
                    TableName: tableName,
                    Key: runKey(newRunId),
                    UpdateExpression:
                      'SET #kind = :run, #state = if_not_exists(#state, :lineage), ' +
                      '#rootRunId = if_not_exists(#rootRunId, :root), #parentRunId = if_not_exists(#parentRunId, :parent), ' +
                      '#lineageAttempt = if_not_exists(#lineageAttempt, :attempt), #chain = if_not_exists(#chain, :chain), ' +
                      '#flowId = if_not_exists(#flowId, :flowId), #sandboxName = if_not_exists(#sandboxName, :sandboxName), ' +
                      '#imsOrgId = if_not_exists(#imsOrgId, :imsOrgId), #createdAt = if_not_exists(#createdAt, :now), ' +
                      '#updatedAt = :now, #expiresAt = :expiresAt',
                    ExpressionAttributeNames: names(
                      'kind',
                      'state',
                      'rootRunId',
                      'parentRunId',
                      'lineageAttempt',
                      'chain',
                      'flowId',
                      'sandboxName',
                      'imsOrgId',
                      'createdAt',
                      'updatedAt',
                      'expiresAt',
                    ),
                    ExpressionAttributeValues: {
                      ':run': S('run'),
                      ':lineage': S('lineage'),
                      ':root': S(claim.lineage?.rootRunId ?? claim.runId),
                      ':parent': S(claim.runId),
                      ':attempt': N(attempt),
                      ':chain': links([...(claim.lineage?.chain ?? []), parentLink]),
                      ':flowId': S(facts.flowId),
                      ':sandboxName': S(facts.sandboxName),
                      ':imsOrgId': S(facts.imsOrgId),
                      ':now': N(now),
                      ':expiresAt': expiresAt(now),
                    },
                  },
                },
              ],
            }),
          );
        } catch (error) {
          if (error instanceof TransactionCanceledException) {
            const first = error.CancellationReasons?.[0]?.Code;
            if (first === 'ConditionalCheckFailed') throw claimLost(claim, what);
          }
          throw error;
        }
      });
    },

    async finish(claim, details) {
      await onClaim(claim, `recording outcome ${details.outcome} for run ${claim.runId}`, {
        expression:
          'SET #state = :done, #outcome = :outcome, #reason = :reason, #attempt = :attempt, #leaseUntil = :zero, #updatedAt = :now',
        condition: '#state = :claimed',
        attributes: ['state', 'outcome', 'reason', 'attempt', 'leaseUntil', 'updatedAt'],
        values: {
          ':done': S('done'),
          ':claimed': S('claimed'),
          ':outcome': S(details.outcome),
          ':reason': S(details.reason.slice(0, 1000)),
          ':attempt': N(details.attempt),
          ':zero': N(0),
          ':now': N(details.now),
        },
      });
    },

    async settleAnnouncement(claim, announced) {
      await onClaim(claim, `noting the announcement of run ${claim.runId}`, {
        expression: 'SET #announced = :announced, #leaseUntil = :zero',
        attributes: ['announced', 'leaseUntil'],
        values: { ':announced': BOOL(announced), ':zero': N(0) },
      });
    },

    async markReannounced(runId) {
      await call(`noting the late announcement of run ${runId}`, async () => {
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: runKey(runId),
              UpdateExpression: 'SET #announced = :true',
              ConditionExpression: '#announced = :false',
              ExpressionAttributeNames: names('announced'),
              ExpressionAttributeValues: { ':true': BOOL(true), ':false': BOOL(false) },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      });
    },

    async release(claim, details) {
      await onClaim(claim, `releasing run ${claim.runId}`, {
        expression: 'SET #leaseUntil = :zero, #mayHavePosted = :mayHavePosted',
        condition: '#state = :claimed',
        attributes: ['leaseUntil', 'mayHavePosted', 'state'],
        values: { ':zero': N(0), ':mayHavePosted': BOOL(details.mayHavePosted), ':claimed': S('claimed') },
      });
    },

    async getRun(runId) {
      const item = await call(`reading run ${runId}`, () => read(runKey(runId)));
      return item ? readRunItem(item) : null;
    },

    async getFlowPause(flowId) {
      const item = await call(`reading the pause of dataflow ${flowId}`, () => read(flowKey(flowId)));
      const pausedAt = item ? num(item, 'pausedAt') : undefined;
      if (!item || pausedAt === undefined) return null;
      const pause: FlowPause = { flowId, pausedAt, by: str(item, 'pausedBy'), reason: str(item, 'reason') };
      return pause;
    },

    async setFlowPause(flowId, pause) {
      await call(`${pause ? 'pausing' : 'resuming'} dataflow ${flowId}`, async () => {
        if (!pause) {
          await client.send(new DeleteItemCommand({ TableName: tableName, Key: flowKey(flowId) }));
          return;
        }
        const item: Item = { ...flowKey(flowId), kind: S('flow'), pausedAt: N(pause.pausedAt) };
        if (pause.by) item.pausedBy = S(pause.by);
        if (pause.reason) item.reason = S(pause.reason);
        await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
      });
    },
  };
}

/** A conditional update of a claimed run item. */
interface ClaimUpdate {
  readonly expression: string;
  readonly condition?: string;
  readonly attributes: string[];
  readonly values: Item;
}

function factValues(facts: ClaimFacts): Item {
  return {
    ':flowId': S(facts.flowId),
    ':sandboxName': S(facts.sandboxName),
    ':imsOrgId': S(facts.imsOrgId),
    ':errorCodes': strings(facts.errorCodes),
  };
}

function claimLost(claim: Claim, what: string): AwsCallError {
  return new AwsCallError(
    `${what}: the claim on run ${claim.runId} was lost (its lease ran out and another delivery took it over)`,
    { kind: 'transient' },
  );
}
