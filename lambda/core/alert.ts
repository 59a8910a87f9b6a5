/**
 * Alert normalising: one SNS message in, one {@link NormalisedAlert} out.
 *
 * Accepts the AEP run object itself (the alert rules page's "Schema payload"), wrapped or not in
 * the envelopes Adobe I/O Events may use (CloudEvents `data`, legacy `event`, Amazon EventBridge
 * `detail`). A readable alert that is not a run failure is `ignored`; anything else that cannot be
 * acted on is `rejected` with a reason an operator can act on. Pure, and it never throws.
 */
import type { AlertIds, AlertSource, FailedRunAlert, NormalisedAlert } from './model';
import { asRecord, pick, runErrorCodes, SAFE_ID } from './run-object';

/** The largest message read, in UTF-8 bytes: Amazon SNS's message size limit (256 KiB). */
export const MAX_ALERT_BYTES = 262_144;

/** The most envelopes unwrapped around one payload (e.g. EventBridge `detail` holding CloudEvents). */
export const MAX_ENVELOPE_DEPTH = 3;

/** Options of {@link normaliseAlert}. */
export interface NormaliseAlertOptions {
  /**
   * The largest message accepted, in UTF-8 bytes. Only string input is measured.
   * @default MAX_ALERT_BYTES
   */
  readonly maxBytes?: number;
  /**
   * The I/O Events event id, when the transport carries it beside the body (the SNS message
   * attribute the webhook ingress sets from `x-adobe-event-id`). Wins over ids in the body.
   * Ignored unless it is a safe id (see `SAFE_ID`).
   */
  readonly eventId?: string;
}

/** Values quoted in reasons are cut to this many characters, so input is never echoed at length. */
const QUOTE_LIMIT = 64;

/** `flowName` is free text shown to people; longer names are cut. */
const FLOW_NAME_LIMIT = 256;

/** Org ids are 24 hex digits followed by `@AdobeOrg`; accept any alphanumeric prefix. */
const IMS_ORG_ID = /^[A-Za-z0-9]{1,64}@AdobeOrg$/;

/**
 * Sandbox names are lower-case letters, digits and hyphens (`prod`, `observability-01`). `_` and
 * `.` are tolerated; anything else (spaces, control characters) could not go into a header.
 */
const SANDBOX_NAME = /^[a-z0-9][a-z0-9._-]{0,255}$/;

/** Words printed without quotes in a reason: statuses, event codes, alert names. */
const PLAIN_WORD = /^[A-Za-z0-9_.:-]{1,64}$/;

type Json = Record<string, unknown>;

/** Thrown inside this module only, to stop reading with a `rejected` outcome. */
class Rejection {
  constructor(
    readonly reason: string,
    readonly ids: AlertIds = {},
  ) {}
}

/**
 * Reads one alert message: the SNS `Message` string or an already-parsed object.
 *
 * Never throws: unreadable input (too large, not JSON, missing or unsafe ids, unsupported formats)
 * is `rejected`, readable alerts that are not run failures (start, success, delay, error rate,
 * data-ingestion notifications) are `ignored`, and a failed run is a `failure` whose ids are safe
 * for a URL path and headers. Reasons name the field and what it should be; values quoted in them
 * are cut to 64 characters, and values of unknown fields are never quoted.
 */
export function normaliseAlert(input: unknown, options: NormaliseAlertOptions = {}): NormalisedAlert {
  try {
    return read(input, options);
  } catch (error) {
    if (error instanceof Rejection) return { kind: 'rejected', reason: error.reason, ids: error.ids };
    return { kind: 'rejected', reason: `could not read the message (${describeError(error)})`, ids: {} };
  }
}

function read(input: unknown, options: NormaliseAlertOptions): NormalisedAlert {
  const maxBytes = positiveInteger(options.maxBytes) ?? MAX_ALERT_BYTES;
  let parsed: unknown = input;
  if (typeof input === 'string') {
    const bytes = utf8Length(input);
    if (bytes > maxBytes) throw new Rejection(`message is ${bytes} bytes; the limit is ${maxBytes}`);
    parsed = parseJson(input, 'message is not JSON');
  }
  const root = asObject(parsed, 'message');
  const { payload, source, envelopes, eventIds } = unwrap(root);
  const eventId = [options.eventId, ...eventIds].map(safeId).find((id) => id !== undefined);
  return classify(payload, envelopes, source, eventId);
}

interface Unwrapped {
  readonly payload: Json;
  readonly source: AlertSource;
  /** The envelopes around the payload, innermost first. */
  readonly envelopes: readonly Json[];
  /** Candidate event ids, best first: I/O Events ids innermost first, then other envelope ids. */
  readonly eventIds: readonly unknown[];
}

interface Envelope {
  readonly source: Exclude<AlertSource, 'run' | 'sweep' | 'manual'>;
  /** The field that holds the payload, for reasons. */
  readonly field: string;
  readonly inner: unknown;
  /** I/O Events ids: stable across redeliveries (`x-adobe-event-id`). */
  readonly ioEventIds: readonly unknown[];
  /** Other ids of the envelope (CloudEvents `id`, EventBridge `id`). */
  readonly otherIds: readonly unknown[];
}

function envelopeOf(record: Json): Envelope | undefined {
  if (record.specversion !== undefined && record.data !== undefined) {
    return {
      source: 'cloudevents',
      field: 'data',
      inner: record.data,
      ioEventIds: [record.eventid, record.event_id],
      otherIds: [record.id],
    };
  }
  if (asRecord(record.event) || (typeof record.event === 'string' && record.event_id !== undefined)) {
    return {
      source: 'io-legacy',
      field: 'event',
      inner: record.event,
      ioEventIds: [record.event_id, record.eventid],
      otherIds: [],
    };
  }
  const partnerSource = typeof record.source === 'string' && record.source.startsWith('aws.partner/');
  if (record.detail !== undefined && (typeof record['detail-type'] === 'string' || partnerSource)) {
    return {
      source: 'eventbridge',
      field: 'detail',
      inner: record.detail,
      ioEventIds: [],
      otherIds: [record.id],
    };
  }
  return undefined;
}

function unwrap(root: Json): Unwrapped {
  let current = root;
  let source: AlertSource = 'run';
  const fields: string[] = [];
  const envelopes: Json[] = [];
  const ioEventIds: unknown[][] = [];
  const otherIds: unknown[][] = [];
  for (let envelope = envelopeOf(current); envelope; envelope = envelopeOf(current)) {
    if (envelopes.length === MAX_ENVELOPE_DEPTH) {
      throw new Rejection(`envelopes nest deeper than ${MAX_ENVELOPE_DEPTH} levels`);
    }
    if (envelopes.length === 0) source = envelope.source;
    fields.push(envelope.field);
    const path = fields.join('.');
    const inner =
      typeof envelope.inner === 'string'
        ? parseJson(envelope.inner, `${envelope.source} ${path} is a string that is not JSON`)
        : envelope.inner;
    envelopes.unshift(current);
    ioEventIds.unshift([...envelope.ioEventIds]);
    otherIds.unshift([...envelope.otherIds]);
    current = asObject(inner, `${envelope.source} ${path}`);
  }
  return { payload: current, source, envelopes, eventIds: [...ioEventIds.flat(), ...otherIds.flat()] };
}

function classify(
  payload: Json,
  envelopes: readonly Json[],
  source: AlertSource,
  eventId: string | undefined,
): NormalisedAlert {
  if (Array.isArray(payload.messages)) {
    throw new Rejection(unsupportedPipelineFormat(), pipelineIds(payload.messages));
  }
  if (payload['xdm:ingestionId'] !== undefined || payload['xdm:eventCode'] !== undefined) {
    return dataIngestionNotification(payload, envelopes);
  }
  if (isAlertObject(payload)) return alertObject(payload, envelopes);
  if (payload.id === undefined && payload.flowId === undefined && payload.metrics === undefined) {
    throw new Rejection(
      'not a flow run alert: expected a run object with id, flowId and metrics.statusSummary.status',
      readIds(payload, envelopes),
    );
  }
  return runObject(payload, envelopes, source, eventId);
}

function runObject(
  payload: Json,
  envelopes: readonly Json[],
  source: AlertSource,
  eventId: string | undefined,
): NormalisedAlert {
  const ids = readIds(payload, envelopes);
  const status = pick(payload, 'metrics.statusSummary.status');
  if (status === undefined || status === null) {
    throw new Rejection(
      'metrics.statusSummary.status is missing (expected failed, success or inProgress)',
      ids,
    );
  }
  if (typeof status !== 'string' || status.length === 0) {
    throw new Rejection(
      `metrics.statusSummary.status must be a non-empty string (got ${describe(status)})`,
      ids,
    );
  }
  if (status.toLowerCase() !== 'failed') {
    const run = ids.runId === undefined ? 'run (no usable id)' : `run ${ids.runId}`;
    return { kind: 'ignored', reason: `${run} is ${word(status)}: only failures are re-triggered`, ids };
  }

  const runId = checkId(payload.id, 'id', 'the run id');
  const flowId = checkId(payload.flowId, 'flowId', 'the dataflow id');
  const sandboxName = checkSandbox(payload.sandboxName);
  const imsOrgId = checkOrg(orgOf(payload, envelopes));
  if (!('value' in runId && 'value' in flowId && 'value' in sandboxName && 'value' in imsOrgId)) {
    const problems = [runId, flowId, sandboxName, imsOrgId].flatMap((check) =>
      'problem' in check ? [check.problem] : [],
    );
    throw new Rejection(problems.join('; '), ids);
  }

  const alert: FailedRunAlert = {
    runId: runId.value,
    flowId: flowId.value,
    sandboxName: sandboxName.value,
    imsOrgId: imsOrgId.value,
    errorCodes: ids.errorCodes ?? [],
    source,
    ...optional('flowName', ids.flowName),
    ...optional('completedAt', epochMs(pick(payload, 'metrics.durationSummary.completedAtUTC'))),
    ...optional('eventId', eventId),
  };
  return { kind: 'failure', alert };
}

/** Delay and error-rate alerts are alert objects, not runs: their `id` is the alert's. */
function isAlertObject(payload: Json): boolean {
  const name = typeof payload.name === 'string' ? payload.name : '';
  return (
    payload.flowRunId !== undefined ||
    payload.status === 'FIRING' ||
    payload.status === 'INACTIVE' ||
    /^sources_(flow_run_delay|ingestion_error_rate)/.test(name)
  );
}

function alertObject(payload: Json, envelopes: readonly Json[]): NormalisedAlert {
  const name = typeof payload.name === 'string' ? payload.name : '';
  const what = name.includes('delay')
    ? 'flow run delay alert'
    : name.includes('error_rate')
      ? 'ingestion error rate alert'
      : 'alert object';
  const state = payload.status === undefined ? '' : ` (${word(payload.status)})`;
  const ids = readIds({ ...payload, id: payload.flowRunId }, envelopes);
  return {
    kind: 'ignored',
    reason: `${what}${state} is not a failure: only Sources Flow Run Failure alerts are re-triggered`,
    ids,
  };
}

function dataIngestionNotification(payload: Json, envelopes: readonly Json[]): NormalisedAlert {
  const code =
    payload['xdm:eventCode'] === undefined ? '' : ` (xdm:eventCode ${word(payload['xdm:eventCode'])})`;
  const ids = readIds(
    { sandboxName: payload['xdm:sandboxName'], imsOrgId: payload['xdm:imsOrg'], header: payload.header },
    envelopes,
  );
  return {
    kind: 'ignored',
    reason: `deprecated data ingestion notification${code} is not a flow run alert: subscribe to Sources Flow Run Failure`,
    ids,
  };
}

function unsupportedPipelineFormat(): string {
  return (
    "unsupported format: Flow Service's internal pipeline message ({messages:[...]}); " +
    'subscribe to the Sources Flow Run Failure I/O event instead'
  );
}

/** Names the run of an internal pipeline message, so the rejection can say which one. */
function pipelineIds(messages: readonly unknown[]): AlertIds {
  const first = asRecord(messages[0]);
  const value = asRecord(first?.value);
  return value ? readIds(value, first ? [first] : []) : {};
}

/** What can be read safely of any payload, for ignored and rejected outcomes. */
function readIds(payload: Json, envelopes: readonly Json[]): AlertIds {
  const runId = checkId(payload.id, 'id', 'the run id');
  const flowId = checkId(payload.flowId, 'flowId', 'the dataflow id');
  const sandboxName = checkSandbox(payload.sandboxName);
  const imsOrgId = checkOrg(orgOf(payload, envelopes));
  const flowName = flowNameOf(payload.flowName);
  const errorCodes = runErrorCodes(payload);
  return {
    ...optional('runId', 'value' in runId ? runId.value : undefined),
    ...optional('flowId', 'value' in flowId ? flowId.value : undefined),
    ...optional('sandboxName', 'value' in sandboxName ? sandboxName.value : undefined),
    ...optional('imsOrgId', 'value' in imsOrgId ? imsOrgId.value : undefined),
    ...optional('flowName', flowName),
    ...(errorCodes.length > 0 ? { errorCodes } : {}),
  };
}

type Check = { readonly value: string } | { readonly problem: string };

function checkId(value: unknown, field: 'id' | 'flowId', what: string): Check {
  if (value === undefined || value === null) return { problem: `${field} is missing (expected ${what})` };
  if (typeof value !== 'string') return { problem: `${field} must be a string id (got ${describe(value)})` };
  if (!SAFE_ID.test(value)) {
    return {
      problem: `${field} must be a string id of letters, digits, '.', '_', ':' and '-' (got ${quote(value)})`,
    };
  }
  return { value };
}

function checkSandbox(value: unknown): Check {
  if (value === undefined || value === null) {
    return { problem: 'sandboxName is missing (expected the sandbox name, e.g. prod)' };
  }
  if (typeof value !== 'string' || value.length === 0) {
    return { problem: `sandboxName must be a non-empty string (got ${describe(value)})` };
  }
  // `x-sandbox-name` takes the all-lowercase name.
  const lower = value.toLowerCase();
  if (!SANDBOX_NAME.test(lower)) {
    return {
      problem: `sandboxName must be a sandbox name of letters, digits, '-', '_' and '.' (got ${quote(value)})`,
    };
  }
  return { value: lower };
}

function checkOrg(value: unknown): Check {
  if (value === undefined || value === null)
    return { problem: 'imsOrgId is missing (expected ...@AdobeOrg)' };
  if (typeof value !== 'string')
    return { problem: `imsOrgId must be a string ...@AdobeOrg (got ${describe(value)})` };
  if (!IMS_ORG_ID.test(value))
    return { problem: `imsOrgId must look like ...@AdobeOrg (got ${quote(value)})` };
  return { value };
}

/** The org: the payload's `imsOrgId`, else its `header._adobeio.imsOrgId`, else an envelope's. */
function orgOf(payload: Json, envelopes: readonly Json[]): unknown {
  const candidates = [payload, ...envelopes].flatMap((record) => [
    record.imsOrgId,
    pick(record, 'header._adobeio.imsOrgId'),
  ]);
  return candidates.find((value) => value !== undefined && value !== null);
}

function flowNameOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim().length === 0) return undefined;
  return value.length > FLOW_NAME_LIMIT ? `${value.slice(0, FLOW_NAME_LIMIT)}…` : value;
}

function epochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value) && Number(value) > 0) return Number(value);
  return undefined;
}

function safeId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

function parseJson(text: string, reason: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Rejection(reason);
  }
}

/** The value as an object; arrays and scalars are rejected with a reason naming `what`. */
function asObject(value: unknown, what: string): Json {
  const record = asRecord(value);
  if (record) return record;
  if (Array.isArray(value)) {
    const pipeline = value.map((entry) => asRecord(entry)?.messages).find(Array.isArray);
    if (pipeline) throw new Rejection(unsupportedPipelineFormat(), pipelineIds(pipeline));
    throw new Rejection(`${what} is an array, not a JSON object`);
  }
  throw new Rejection(`${what} is ${describe(value)}, not a JSON object`);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** UTF-8 length without allocating: lone surrogates count 3, as the encoder replaces them. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** A value's type with its article ("a number", "an empty string"), never the value itself. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value === '') return 'an empty string';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value);
}

/** A known field's short value (a status, an event code) for a reason. */
function word(value: unknown): string {
  if (typeof value !== 'string') return describe(value);
  return PLAIN_WORD.test(value) ? value : quote(value);
}

function describeError(error: unknown): string {
  try {
    const name = error instanceof Error ? String(error.name) : typeof error;
    return PLAIN_WORD.test(name) ? name : 'error';
  } catch {
    return 'error';
  }
}
