/**
 * Builds flow and run objects in the shapes Adobe documents (reference sections 1.4, 1.5, 4.3)
 * from the few fields a test cares about. Pure apart from ids and the clock passed in.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  FlowObject,
  RunActivity,
  RunError,
  RunErrorInput,
  RunObject,
  SourceKind,
  SourceType,
} from './types';

/** The data lake target connection spec, the only allowed target (reference 1.5). */
export const TARGET_CONNECTION_SPEC_ID = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';

/** Connector service identity on runs Adobe creates (reference 4.3). */
const CONNECTOR_CLIENT = 'acp_foundation_connectors';

/** Activity ids from the newer monitor example (reference 1.4). */
const COPY_ACTIVITY_ID = '4f008a00-3a04-11eb-adc1-0242ac120002';
const PROMOTION_ACTIVITY_ID = '37b34f84-1ada-11eb-adc1-0242ac120002';

interface SourceSpec {
  readonly kind: SourceKind;
  readonly label: string;
  readonly connectionSpecId: string;
  readonly flowSpecId: string;
}

/**
 * Connection and flow spec ids of the sources the emulator knows. Batch: the spec's
 * CloudStorageToAEP example (SFTP, S3) and the docs' BigQuery dataflow; streaming: the HTTP API
 * tutorial's connection spec.
 */
export const SOURCES: Readonly<Record<SourceType, SourceSpec>> = {
  sftp: {
    kind: 'batch',
    label: 'SFTP',
    connectionSpecId: 'b7bf2577-4520-42c9-bae9-cad01560f7bc',
    flowSpecId: '9753525b-82c7-4dce-8a9b-5ccfce2b9876',
  },
  s3: {
    kind: 'batch',
    label: 'S3',
    connectionSpecId: 'ecadc60c-7455-4d87-84dc-2a0e293d997b',
    flowSpecId: '9753525b-82c7-4dce-8a9b-5ccfce2b9876',
  },
  bigquery: {
    kind: 'batch',
    label: 'BigQuery',
    connectionSpecId: '3c9b37f8-13a6-43d8-bad3-b863b941fedd',
    flowSpecId: '14518937-270c-4525-bdec-c2ba7cce3860',
  },
  'http-api': {
    kind: 'streaming',
    label: 'HTTP API',
    connectionSpecId: 'bc7b00d6-623a-4dfc-9fdb-f1240aeadaeb',
    flowSpecId: 'd8a6f005-7eaf-4153-983e-e8574508b877',
  },
};

/** Documented messages of run error codes (reference section 5). */
const KNOWN_MESSAGES: Readonly<Record<string, string>> = {
  'CONNECTOR-1001-500': 'Error in copying the data from Source.',
  'CONNECTOR-2001-500': 'Error occurred at promotion activity.',
  'CONNECTOR-3001-500':
    'A problem occurred with the flow provider while creating batch using bulk ingest API.',
  '2200':
    'A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.',
  '133': 'We are unable to locate any files uploaded for this batch. Please upload files to ingest.',
  'INGEST-1212-400': 'Encountered 1 errors in the data. Successfully ingested 99 rows.',
  'MAPPER-3700-400': 'Mapper Transform Error',
};

/** The failure of reference 4.3: a copy failure with a network time-out underneath. */
export const DEFAULT_RUN_ERRORS: readonly RunErrorInput[] = [
  { code: 'CONNECTOR-1001-500', details: ['2200'] },
];

/** A random etag in Adobe's quoted format, e.g. `"56010101-0000-1b00-0000-64f15e2f0000"`. */
export function newEtag(now: number): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `"${randomBytes(4).toString('hex')}-0000-0200-0000-${seconds}0000"`;
}

/** A stable uuid-shaped id derived from text, so a sandbox keeps its id across calls. */
export function stableId(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The sandbox id of an org's sandbox. */
export function sandboxIdOf(orgId: string, sandboxName: string): string {
  return stableId(`sandbox:${orgId}:${sandboxName}`);
}

function errorOf(entry: string | { readonly code: string; readonly message?: string }): RunError {
  const code = typeof entry === 'string' ? entry : entry.code;
  const message = typeof entry === 'string' ? undefined : entry.message;
  return { code, message: message ?? KNOWN_MESSAGES[code] ?? `Error ${code} occurred.` };
}

/** Copy failures (1001) sit on the copy activity; later failures on the promotion activity. */
function isCopyFailure(code: string): boolean {
  return !/^CONNECTOR-(2001|3001)-/.test(code);
}

/** What a flow contributes to its runs. */
export interface RunContext {
  readonly flowId: string;
  readonly sandboxName: string;
  readonly orgId: string;
  readonly flowSpecId: string;
  readonly source: SourceType;
}

/** Fields of a run to build. */
export interface RunSpec {
  readonly id: string;
  readonly status: string;
  readonly errors: readonly RunErrorInput[];
  readonly ingestedRecords: number;
  readonly createdAt: number;
  readonly startedAt: number;
  readonly completedAt?: number;
  readonly updatedAt: number;
  readonly client: string;
  readonly etag: string;
  readonly providerRefId?: string;
}

function failedActivities(spec: RunSpec, label: string, errors: readonly RunErrorInput[]): RunActivity[] {
  const copyErrors = errors.filter((entry) => isCopyFailure(typeof entry === 'string' ? entry : entry.code));
  const promotionErrors = errors.filter((entry) => !copyErrors.includes(entry));
  const activity = (id: string, name: string, list: readonly RunErrorInput[]): RunActivity => {
    const details = list.flatMap((entry) => (typeof entry === 'string' ? [] : (entry.details ?? [])));
    const hasNetworkDetail = details.some(
      (detail) => (typeof detail === 'string' ? detail : detail.code) === '2200',
    );
    return {
      id,
      name,
      durationSummary: { startedAtUTC: spec.startedAt, completedAtUTC: spec.completedAt },
      statusSummary: {
        status: list.length > 0 ? spec.status : 'success',
        ...(list.length > 0 ? { errors: list.map(errorOf) } : {}),
        extensions: {
          ...(hasNetworkDetail
            ? {
                errorDetail: `ErrorCode=${label}NetworkIssue,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=Meet network issue when connect to ${label} server, SocketErrorCode: 'TimedOut'.'`,
              }
            : {}),
          ...(details.length > 0 ? { errors: details.map(errorOf) } : {}),
        },
      },
    };
  };
  const copy = activity(COPY_ACTIVITY_ID, `${label} Copy Activity`, copyErrors);
  if (promotionErrors.length === 0) return [copy];
  return [copy, activity(PROMOTION_ACTIVITY_ID, 'Promotion Activity', promotionErrors)];
}

function successActivities(spec: RunSpec, label: string): RunActivity[] {
  const batchId = randomBytes(13).toString('hex').toUpperCase().slice(0, 26);
  return [
    {
      id: COPY_ACTIVITY_ID,
      name: `${label} Copy Activity`,
      durationSummary: { startedAtUTC: spec.startedAt, completedAtUTC: spec.completedAt },
      statusSummary: { status: 'success', extensions: { type: 'one-time' } },
    },
    {
      id: PROMOTION_ACTIVITY_ID,
      name: 'Promotion Activity',
      durationSummary: { startedAtUTC: spec.startedAt, completedAtUTC: spec.completedAt },
      recordSummary: { inputRecordCount: spec.ingestedRecords, outputRecordCount: spec.ingestedRecords },
      statusSummary: {
        status: 'success',
        ...(spec.errors.length > 0 ? { errors: spec.errors.map(errorOf) } : {}),
      },
      targetInfo: [{ type: 'TargetConnection', reference: { type: 'Batch', ids: [batchId] } }],
    },
  ];
}

/** Builds a run object in the documented shape. */
export function buildRun(context: RunContext, spec: RunSpec): RunObject {
  const label = SOURCES[context.source].label;
  const finished = spec.status === 'failed' || spec.status === 'success';
  const failed = spec.status === 'failed';
  const topErrors = failed || spec.status === 'success' ? spec.errors.map(errorOf) : [];
  const details = spec.errors.flatMap((entry) => (typeof entry === 'string' ? [] : (entry.details ?? [])));
  const activities = !finished
    ? []
    : failed
      ? failedActivities(spec, label, spec.errors)
      : successActivities(spec, label);
  const records = failed ? 0 : spec.ingestedRecords;
  return {
    id: spec.id,
    createdAt: spec.createdAt,
    updatedAt: spec.updatedAt,
    createdBy: spec.client === CONNECTOR_CLIENT ? `${CONNECTOR_CLIENT}@AdobeID` : spec.client,
    updatedBy: spec.client === CONNECTOR_CLIENT ? `${CONNECTOR_CLIENT}@AdobeID` : spec.client,
    createdClient: spec.client,
    updatedClient: spec.client,
    sandboxId: sandboxIdOf(context.orgId, context.sandboxName),
    sandboxName: context.sandboxName,
    imsOrgId: context.orgId,
    flowId: context.flowId,
    flowSpec: { id: context.flowSpecId, version: '1.0' },
    providerRefId: spec.providerRefId ?? `M-${context.flowId}-incremental-0:${randomUUID()}`,
    etag: spec.etag,
    metrics: {
      durationSummary: {
        startedAtUTC: spec.startedAt,
        ...(finished && spec.completedAt !== undefined ? { completedAtUTC: spec.completedAt } : {}),
      },
      sizeSummary: { inputBytes: finished ? records * 120 : 0, outputBytes: finished ? records * 180 : 0 },
      recordSummary: {
        inputRecordCount: records,
        outputRecordCount: records,
        failedRecordCount: 0,
        ...(failed && details.length > 0 ? { failedInfo: details.map(errorOf) } : {}),
      },
      fileSummary: { inputFileCount: finished ? 1 : 0, outputFileCount: finished && !failed ? 1 : 0 },
      statusSummary: {
        status: spec.status,
        ...(topErrors.length > 0 ? { errors: topErrors } : {}),
        ...(finished
          ? {
              activityRefs: failed
                ? activities.filter((a) => a.statusSummary.status === 'failed').map((a) => a.id)
                : activities.map((a) => a.id),
            }
          : {}),
      },
    },
    activities,
  };
}

/** Fields of a flow to build. */
export interface FlowSpecFields {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly sandboxName: string;
  readonly orgId: string;
  readonly source: SourceType;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly etag: string;
  readonly sourceConnectionId: string;
  readonly targetConnectionId: string;
}

/** Builds a dataflow object in the documented shape (without `lastRunDetails`). */
export function buildFlow(fields: FlowSpecFields): FlowObject {
  const source = SOURCES[fields.source];
  return {
    id: fields.id,
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
    createdBy: 'acme@AdobeID',
    updatedBy: 'acme@AdobeID',
    createdClient: 'exc_app',
    updatedClient: 'exc_app',
    sandboxId: sandboxIdOf(fields.orgId, fields.sandboxName),
    sandboxName: fields.sandboxName,
    imsOrgId: fields.orgId,
    name: fields.name,
    description: `${source.label} ${source.kind} dataflow (emulated)`,
    flowSpec: { id: source.flowSpecId, version: '1.0' },
    state: fields.state,
    version: fields.etag,
    etag: fields.etag,
    sourceConnectionIds: [fields.sourceConnectionId],
    targetConnectionIds: [fields.targetConnectionId],
    inheritedAttributes: {
      sourceConnections: [
        { id: fields.sourceConnectionId, connectionSpec: { id: source.connectionSpecId, version: '1.0' } },
      ],
      targetConnections: [
        { id: fields.targetConnectionId, connectionSpec: { id: TARGET_CONNECTION_SPEC_ID, version: '1.0' } },
      ],
    },
    // Streaming dataflows have no schedule; batch ones run hourly here.
    ...(source.kind === 'batch'
      ? {
          scheduleParams: {
            startTime: Math.floor(fields.createdAt / 1000),
            frequency: 'hour',
            interval: 1,
            backfill: true,
          },
        }
      : {}),
    transformations: [],
    runs: `/runs?property=flowId==${fields.id}`,
  };
}
