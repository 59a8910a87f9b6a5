/**
 * The cost of 1,000 alerts on AWS list prices, from measured figures only: handler calls and
 * their durations from the worker, AWS calls from the counting proxy, ledger item sizes from a
 * scan of the table, and log bytes from the function's stdout. Free tiers are left out.
 */
import { type AttributeValue, DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import type { FlavorRun } from './emulator-runs';
import { serviceCalls } from './emulator-runs';

/**
 * List prices in us-east-1, as published on the AWS pricing pages (the date they are assumed:
 * {@link PRICES_AS_OF}). Edit here when they change; every figure is recomputed.
 */
export const PRICES = {
  /** https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month) */
  lambdaArmGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ ($0.20 per 1M requests) */
  lambdaRequest: 0.2 / 1e6,
  /** https://aws.amazon.com/secrets-manager/pricing/ ($0.05 per 10,000 API calls) */
  secretsManagerCall: 0.05 / 1e4,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class, $0.625 per million WRU) */
  dynamoDbWriteUnit: 0.625 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.125 per million RRU) */
  dynamoDbReadUnit: 0.125 / 1e6,
  /** https://aws.amazon.com/sns/pricing/ (standard topics, $0.50 per 1M requests; 64 KB chunks) */
  snsPublish: 0.5 / 1e6,
  /** https://aws.amazon.com/sqs/pricing/ (standard queues, $0.40 per 1M requests; 64 KB chunks) */
  sqsRequest: 0.4 / 1e6,
  /** https://aws.amazon.com/cloudwatch/pricing/ (Logs, Standard ingestion, $0.50 per GB) */
  logsIngestedGb: 0.5,
} as const;

/** The day the prices above are assumed to hold (us-east-1). */
export const PRICES_AS_OF = '2025-08-01';
/** Region of the prices. */
export const PRICES_REGION = 'us-east-1';

/** One line of the cost table, for 1,000 alerts. */
export interface CostLine {
  readonly item: string;
  /** What was measured and how it turns into billed units. */
  readonly basis: string;
  readonly usd: number;
}

/** The cost of 1,000 alerts of one flavor. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

/** Sizes of the ledger's items, per DynamoDB's item-size rules (approximate for numbers). */
export interface ItemSizes {
  readonly items: number;
  readonly maxBytes: number;
  readonly medianBytes: number;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((total, entry) => total + Buffer.byteLength(entry), 0);
  if (value.NS) return value.NS.reduce((total, entry) => total + Math.ceil(entry.length / 2) + 1, 0);
  if (value.L) return 3 + value.L.reduce((total, entry) => total + 1 + valueBytes(entry), 0);
  if (value.M) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

/** An item's size: attribute names plus values. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + valueBytes(value),
    0,
  );
}

/** Scans the ledger table and sizes its items. */
export async function ledgerItemSizes(tableName: string): Promise<ItemSizes> {
  const client = new DynamoDBClient({});
  const sizes: number[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName })) {
    for (const item of page.Items ?? []) sizes.push(itemBytes(item));
  }
  client.destroy();
  sizes.sort((a, b) => a - b);
  return {
    items: sizes.length,
    maxBytes: sizes[sizes.length - 1] ?? 0,
    medianBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
  };
}

/**
 * Prices 1,000 alerts from one measured run, scaled linearly from its alert count.
 * @param memoryMb the function's memory size
 * @param ledger sizes of the ledger's items: a write costs ⌈size / 1 KB⌉ units, a read ⌈size / 4 KB⌉
 */
export function costPerThousand(run: FlavorRun, memoryMb: number, ledger: ItemSizes): CostEstimate {
  const scale = 1000 / run.alerts;
  const report = run.worker.report;
  const billedMs = report.callDurationsMs.reduce((total, ms) => total + Math.max(1, Math.ceil(ms)), 0);
  const gbSeconds = (billedMs / 1000) * (memoryMb / 1024) * scale;
  const initGbSeconds = (report.loadMs / 1000) * (memoryMb / 1024);
  const calls = run.aws.calls;
  const secrets = serviceCalls(calls, 'secretsmanager') * scale;
  const writeUnitsPerItem = Math.max(1, Math.ceil(ledger.maxBytes / 1024));
  const readUnitsPerItem = Math.max(1, Math.ceil(ledger.maxBytes / 4096));
  const dynamo = run.aws.dynamodb;
  const writeUnits = (dynamo.itemWrites + 2 * dynamo.transactItems) * writeUnitsPerItem * scale;
  const readUnits = (dynamo.consistentReads + 0.5 * dynamo.eventualReads) * readUnitsPerItem * scale;
  const chunks = (service: string, operation: string) =>
    Math.max(1, Math.ceil((run.aws.maxBodyBytes[service]?.[operation] ?? 0) / 65536));
  const snsRequests = Object.entries(calls.sns ?? {}).reduce(
    (total, [operation, count]) => total + count * (operation === 'Publish' ? chunks('sns', operation) : 1),
    0,
  );
  const sqsRequests = serviceCalls(calls, 'sqs');
  const logGb = (run.worker.stdoutBytes * scale) / 1e9;
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      basis: `${fmt(report.calls * scale)} handler calls × $0.20/M`,
      usd: report.calls * scale * PRICES.lambdaRequest,
    },
    {
      item: 'Lambda duration (arm64)',
      basis: `${fmt(billedMs * scale)} billed ms (each call rounded up to 1 ms) × ${memoryMb} MB = ${fmt(gbSeconds, 3)} GB-s`,
      usd: gbSeconds * PRICES.lambdaArmGbSecond,
    },
    {
      item: 'Lambda INIT (one cold start)',
      basis: `${fmt(report.loadMs, 0)} ms bundle load × ${memoryMb} MB (billed since 2025-08-01); N containers cost N×`,
      usd: initGbSeconds * PRICES.lambdaArmGbSecond,
    },
    {
      item: 'Secrets Manager',
      basis: `${fmt(secrets)} GetSecretValue × $0.05/10k`,
      usd: secrets * PRICES.secretsManagerCall,
    },
    {
      item: 'DynamoDB writes (on-demand)',
      basis: `${fmt(dynamo.itemWrites * scale)} writes + ${fmt(dynamo.transactItems * scale)} transaction items × 2 = ${fmt(writeUnits)} WRU`,
      usd: writeUnits * PRICES.dynamoDbWriteUnit,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      basis: `${fmt(dynamo.consistentReads * scale)} consistent + ${fmt(dynamo.eventualReads * scale)} eventual reads = ${fmt(readUnits)} RRU`,
      usd: readUnits * PRICES.dynamoDbReadUnit,
    },
    {
      item: 'SNS publishes',
      basis: `${fmt(snsRequests * scale)} requests × $0.50/M`,
      usd: snsRequests * scale * PRICES.snsPublish,
    },
    {
      item: 'SQS requests',
      basis: `${fmt(sqsRequests * scale)} requests × $0.40/M`,
      usd: sqsRequests * scale * PRICES.sqsRequest,
    },
    {
      item: 'CloudWatch Logs ingestion',
      basis: `${fmt((run.worker.stdoutBytes * scale) / 1024, 0)} KB of function output × $0.50/GB`,
      usd: logGb * PRICES.logsIngestedGb,
    },
  ];
  return { lines, totalUsd: lines.reduce((total, line) => total + line.usd, 0) };
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
