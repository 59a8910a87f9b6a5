/**
 * The webhook's de-duplication records in the ledger table: one `EVENT#<event key>` item per
 * forwarded I/O event, with a short TTL (I/O Events redelivers for 24 hours at most). The
 * ingress function may touch only these items (IAM `dynamodb:LeadingKeys`).
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { EventLedgerPort, ForwardedEvent } from '../core/forwarding';
import type { CallOptions } from '../core/ports';
import { awsCallError } from './aws-errors';

/** Prefix of the ledger's event items; the IAM condition of the ingress role names it too. */
export const EVENT_KEY_PREFIX = 'EVENT#';

/** Settings of {@link createEventLedger}. */
export interface EventLedgerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Days an event item lives (TTL attribute `expiresAt`). @default 3 */
  readonly ttlDays?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** An {@link EventLedgerPort} over the ledger table (partition key `pk`). */
export function createEventLedger(options: EventLedgerOptions): EventLedgerPort {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const ttlSeconds = (options.ttlDays ?? 3) * 86_400;
  const key = (eventKey: string): Record<string, AttributeValue> => ({
    pk: { S: `${EVENT_KEY_PREFIX}${eventKey}` },
  });
  const signal = (callOptions: CallOptions) =>
    callOptions.deadline === undefined
      ? undefined
      : AbortSignal.timeout(Math.max(1, callOptions.deadline - now()));
  const fix =
    'Check that LEDGER_TABLE_NAME names the ledger table and the function may GetItem and PutItem EVENT# items.';

  return {
    async wasForwarded(eventKey, callOptions = {}) {
      try {
        const answer = await client.send(
          new GetItemCommand({ TableName: tableName, Key: key(eventKey), ConsistentRead: true }),
          { abortSignal: signal(callOptions) },
        );
        const expiresAt = Number(answer.Item?.expiresAt?.N ?? Number.POSITIVE_INFINITY);
        // DynamoDB deletes expired items late (up to days); an expired one counts as gone.
        return answer.Item !== undefined && expiresAt * 1000 > now();
      } catch (error) {
        throw awsCallError(error, `reading event ${eventKey} in ledger ${tableName}`, fix);
      }
    },

    async rememberForwarded(eventKey, event: ForwardedEvent, callOptions = {}) {
      const item: Record<string, AttributeValue> = {
        ...key(eventKey),
        kind: { S: 'event' },
        messageId: { S: event.messageId },
        forwardedAt: { N: String(event.at) },
        expiresAt: { N: String(Math.floor(event.at / 1000) + ttlSeconds) },
      };
      if (event.runId) item.runId = { S: event.runId };
      try {
        await client.send(new PutItemCommand({ TableName: tableName, Item: item }), {
          abortSignal: signal(callOptions),
        });
      } catch (error) {
        throw awsCallError(error, `recording event ${eventKey} in ledger ${tableName}`, fix);
      }
    },
  };
}
