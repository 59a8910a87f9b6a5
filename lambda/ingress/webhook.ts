/**
 * The Adobe I/O Events webhook, as a function of one HTTP request: the `GET ?challenge=` handshake
 * (reference 4.2), and POST deliveries (single or batch, 4.4) that must carry a valid digital
 * signature (4.5) and name this stack's client id as recipient before anything is published.
 * Each failure alert, and each event that cannot be read, goes to the alerts topic once per I/O
 * event id; start, success and delay alerts are acknowledged and dropped.
 *
 * Status codes follow what I/O Events does with them (4.6): it retries 429 and 5xx only, so 5xx
 * means "try again later" (a key or the topic was unreachable) and 4xx "this will never work"
 * (forged, unsigned, wrong recipient, too large, not JSON).
 */
import { createHash } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { ALERT_ORIGIN_ATTRIBUTE, ALERT_ORIGINS, EVENT_ID_ATTRIBUTE } from '../../contracts/environment';
import { normaliseAlert } from '../core/alert';
import {
  type AlertsTopicPort,
  compactAlertPayload,
  type EventLedgerPort,
  SNS_MESSAGE_LIMIT_BYTES,
  snsMessageBytes,
} from '../core/forwarding';
import type { Clock } from '../core/ports';
import { asRecord, SAFE_ID } from '../core/run-object';
import {
  type HeaderLookup,
  headerLookup,
  type PublicKeyPort,
  verifyDigitalSignatures,
} from '../core/signature';

/** Batch deliveries are "up to 2MB" (reference 4.4): 2 MiB covers either reading of it. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Adobe's batches hold at most 20 events (reference 4.4); more than this is not a delivery of
 * theirs, and each event costs calls that must fit in the 10-second answer.
 */
export const MAX_EVENTS_PER_DELIVERY = 50;

/** I/O Events challenges are UUIDs; anything else that is short and URL-safe is echoed too. */
const CHALLENGE = /^[A-Za-z0-9._~-]{1,128}$/;

/** An HTTP request, as the function URL hands it over. */
export interface WebhookRequest {
  readonly method: string;
  readonly header: HeaderLookup;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The body as the function URL gives it: text, or base64 when {@link isBase64Encoded}. */
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

/** The answer, in the function URL's result shape. */
export interface WebhookResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What happened to one event of a delivery. */
export type EventAction =
  /** Published to the alerts topic. */
  | 'published'
  /** Forwarded by an earlier delivery of the same I/O event. */
  | 'duplicate'
  /** Read, and not a run failure (start, success, delay, error rate). */
  | 'ignored'
  /** Unreadable and too large for SNS: logged, not forwarded. */
  | 'unforwardable'
  /** Publishing failed; the delivery is answered 5xx so I/O Events sends it again. */
  | 'failed';

/** One event of a delivery, for the log line. Never holds the payload. */
export interface EventReport {
  readonly eventId?: string;
  readonly runId?: string;
  readonly flowId?: string;
  readonly kind: 'failure' | 'ignored' | 'rejected';
  readonly action: EventAction;
  readonly messageId?: string;
  /** Why an event was ignored, rejected or not forwarded. */
  readonly reason?: string;
  /** A problem that did not change the answer (the de-duplication record could not be read or written). */
  readonly warning?: string;
}

/** How a request ended. */
export type WebhookOutcome =
  | 'challenge'
  | 'accepted'
  | 'unauthorized'
  | 'too_large'
  | 'bad_request'
  | 'method_not_allowed'
  | 'unavailable';

/** The answer and what led to it, for one log line and the metrics. */
export interface WebhookResult {
  readonly response: WebhookResponse;
  readonly outcome: WebhookOutcome;
  /** Why a request was refused or failed; names checks, never values. */
  readonly reason?: string;
  readonly events: readonly EventReport[];
  /** The transient failure behind a 5xx answer. */
  readonly error?: unknown;
}

/** What the webhook needs; built once per container by the handler. */
export interface WebhookDeps {
  readonly keys: PublicKeyPort;
  readonly alerts: AlertsTopicPort;
  readonly events: EventLedgerPort;
  /** The I/O Events registration client id(s) an event's `recipientclientid` must be one of. */
  readonly clientIds: readonly string[];
  readonly clock: Clock;
  /** @default MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default MAX_EVENTS_PER_DELIVERY */
  readonly maxEvents?: number;
}

/** The webhook. */
export interface Webhook {
  /**
   * Answers one request. Never throws: transient failures become a 503 with the cause in `error`.
   * @param deadline epoch ms by which every call it makes must have given up
   */
  handle(request: WebhookRequest, options?: { readonly deadline?: number }): Promise<WebhookResult>;
}

/** Reads a function URL event into a {@link WebhookRequest}. */
export function requestFromFunctionUrl(event: LambdaFunctionURLEvent): WebhookRequest {
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    header: headerLookup(event.headers ?? {}),
    query: event.queryStringParameters ?? {},
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
  };
}

/** Creates the webhook over its ports. */
export function createWebhook(deps: WebhookDeps): Webhook {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxEvents = deps.maxEvents ?? MAX_EVENTS_PER_DELIVERY;
  const clientIds = new Set(deps.clientIds);

  async function handlePost(request: WebhookRequest, deadline: number | undefined): Promise<WebhookResult> {
    const body = readBody(request, maxBodyBytes);
    if (body === 'too-large') {
      return refuse(413, 'too_large', `the body is larger than ${maxBodyBytes} bytes`);
    }

    let verdict: Awaited<ReturnType<typeof verifyDigitalSignatures>>;
    try {
      verdict = await verifyDigitalSignatures(body, request.header, deps.keys, { deadline });
    } catch (error) {
      return unavailable('a signature key could not be fetched', [], error);
    }
    if (!verdict.valid) return refuse(401, 'unauthorized', `${verdict.failure}: ${verdict.detail}`);

    const text = body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return refuse(400, 'bad_request', 'the body is not JSON');
    }
    const batch = Array.isArray(parsed);
    const events: unknown[] = batch ? (parsed as unknown[]) : [parsed];
    if (events.length > maxEvents) {
      return refuse(
        413,
        'too_large',
        `the delivery holds ${events.length} events; the limit is ${maxEvents}`,
      );
    }
    if (events.length === 0) return refuse(400, 'bad_request', 'the delivery holds no event');

    // Every event must be addressed to us before any is forwarded: a signed delivery replayed from
    // another registration publishes nothing.
    for (const [index, event] of events.entries()) {
      const problem = recipientProblem(event, clientIds);
      if (problem) return refuse(401, 'unauthorized', batch ? `event ${index + 1}: ${problem}` : problem);
    }

    const headerEventId = events.length === 1 ? safeId(request.header('x-adobe-event-id')) : undefined;
    const settled = await Promise.allSettled(
      events.map((event) =>
        forward(event, {
          text: batch ? JSON.stringify(event) : text,
          headerEventId,
          deadline,
        }),
      ),
    );
    const reports = settled.map((entry): EventReport => {
      if (entry.status === 'fulfilled') return entry.value;
      return entry.reason instanceof ForwardFailure
        ? entry.reason.report
        : { kind: 'rejected', action: 'failed' };
    });
    const failure = settled.find((entry) => entry.status === 'rejected');
    if (failure) {
      const cause = failure.reason instanceof ForwardFailure ? failure.reason.cause : failure.reason;
      return unavailable('an alert could not be published', reports, cause);
    }
    return {
      outcome: 'accepted',
      events: reports,
      response: json(200, {
        received: reports.length,
        published: count(reports, 'published'),
        duplicates: count(reports, 'duplicate'),
        ignored: count(reports, 'ignored'),
        unforwardable: count(reports, 'unforwardable'),
        // Shown in the Developer Console's debug tracing: which SNS messages carry the alerts.
        messageIds: reports.flatMap((report) => (report.messageId ? [report.messageId] : [])),
      }),
    };
  }

  async function forward(
    event: unknown,
    context: { text: string; headerEventId: string | undefined; deadline: number | undefined },
  ): Promise<EventReport> {
    const record = asRecord(event) ?? {};
    const eventId = context.headerEventId ?? [record.eventid, record.event_id].map(safeId).find(Boolean);
    const normalised = normaliseAlert(event, eventId === undefined ? {} : { eventId });
    const ids =
      normalised.kind === 'failure'
        ? { runId: normalised.alert.runId, flowId: normalised.alert.flowId }
        : { runId: normalised.ids.runId, flowId: normalised.ids.flowId };
    const base = { ...(eventId === undefined ? {} : { eventId }), ...ids, kind: normalised.kind };
    if (normalised.kind === 'ignored') return { ...base, action: 'ignored', reason: normalised.reason };

    const rejection = normalised.kind === 'rejected' ? { reason: normalised.reason } : {};
    // Without an event id, the same bytes are the same event: I/O Events redelivers them unchanged.
    const eventKey = eventId ?? `sha256-${createHash('sha256').update(context.text).digest('hex')}`;
    const callOptions = { deadline: context.deadline };
    let warning: string | undefined;
    try {
      if (await deps.events.wasForwarded(eventKey, callOptions)) {
        return { ...base, ...rejection, action: 'duplicate' };
      }
    } catch {
      // The retrier's run claim still stops a second re-trigger; better a duplicate than a lost alert.
      warning = 'the de-duplication record could not be read; forwarded anyway';
    }

    const attributes: Record<string, string> = { [ALERT_ORIGIN_ATTRIBUTE]: ALERT_ORIGINS.webhook };
    if (eventId !== undefined) attributes[EVENT_ID_ATTRIBUTE] = eventId;
    let message = context.text;
    if (snsMessageBytes(message, attributes) > SNS_MESSAGE_LIMIT_BYTES) {
      if (normalised.kind !== 'failure') {
        return { ...base, ...rejection, action: 'unforwardable', ...(warning ? { warning } : {}) };
      }
      // Too large for SNS (long error details): the retrier needs only what the compact form keeps.
      message = JSON.stringify(compactAlertPayload(normalised.alert, 'webhook'));
    }

    let messageId: string;
    try {
      ({ messageId } = await deps.alerts.publish(message, attributes, callOptions));
    } catch (cause) {
      throw new ForwardFailure({ ...base, ...rejection, action: 'failed' }, cause);
    }
    try {
      await deps.events.rememberForwarded(
        eventKey,
        { messageId, at: deps.clock.now(), ...(ids.runId === undefined ? {} : { runId: ids.runId }) },
        callOptions,
      );
    } catch {
      warning = 'the de-duplication record could not be written; a redelivery will be forwarded again';
    }
    return { ...base, ...rejection, action: 'published', messageId, ...(warning ? { warning } : {}) };
  }

  return {
    async handle(request, options = {}) {
      const method = request.method.toUpperCase();
      if (method === 'GET') return challenge(request);
      if (method === 'POST') return handlePost(request, options.deadline);
      return {
        outcome: 'method_not_allowed',
        reason: `method ${method.slice(0, 16)} is not served`,
        events: [],
        response: {
          ...json(405, { message: 'method not allowed' }),
          headers: { ...JSON_HEADERS, allow: 'GET, POST' },
        },
      };
    },
  };
}

/** A failed publish, with what is known of its event. */
class ForwardFailure {
  constructor(
    readonly report: EventReport,
    readonly cause: unknown,
  ) {}
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

function json(statusCode: number, body: unknown): WebhookResponse {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function refuse(statusCode: number, outcome: WebhookOutcome, reason: string): WebhookResult {
  const message =
    statusCode === 401
      ? 'unauthorized'
      : statusCode === 413
        ? 'payload too large'
        : statusCode === 405
          ? 'method not allowed'
          : 'bad request';
  return { outcome, reason, events: [], response: json(statusCode, { message }) };
}

function unavailable(reason: string, events: readonly EventReport[], error: unknown): WebhookResult {
  return {
    outcome: 'unavailable',
    reason,
    events,
    error,
    // 503: I/O Events retries 5xx (not 505) after 1, 2, 4, 8 minutes, then every 15 for 24 hours.
    response: json(503, { message: 'temporarily unavailable; deliver again' }),
  };
}

/** The `GET ?challenge=` handshake: the value back, as text unless JSON is asked for. */
function challenge(request: WebhookRequest): WebhookResult {
  const value = request.query.challenge;
  if (value === undefined || !CHALLENGE.test(value)) {
    return refuse(
      400,
      'bad_request',
      value === undefined ? 'GET without ?challenge=' : 'the challenge is not a short URL-safe value',
    );
  }
  const accept = request.header('accept')?.toLowerCase() ?? '';
  const wantsJson = accept.includes('application/json') && !accept.includes('text/plain');
  return {
    outcome: 'challenge',
    events: [],
    response: wantsJson
      ? json(200, { challenge: value })
      : {
          statusCode: 200,
          headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
          body: value,
        },
  };
}

/** The raw body bytes, refused before decoding when it cannot fit. */
function readBody(request: WebhookRequest, maxBytes: number): Buffer | 'too-large' {
  const raw = request.body ?? '';
  if (request.isBase64Encoded) {
    // Decoded base64 is three quarters of its text: refuse before allocating it.
    if (Math.floor((raw.length * 3) / 4) > maxBytes + 2) return 'too-large';
    const bytes = Buffer.from(raw, 'base64');
    return bytes.length > maxBytes ? 'too-large' : bytes;
  }
  if (raw.length > maxBytes) return 'too-large';
  const bytes = Buffer.from(raw, 'utf8');
  return bytes.length > maxBytes ? 'too-large' : bytes;
}

/**
 * Why an event is not addressed to us, or undefined when it is. Adobe's FAQ: events carry
 * `recipientclientid` (new) and `recipient_client_id` (deprecated, gone by the end of 2026); each
 * one present must be ours, and one must be present.
 */
function recipientProblem(event: unknown, clientIds: ReadonlySet<string>): string | undefined {
  const record = asRecord(event);
  if (!record) return 'the event is not a JSON object';
  const named = [record.recipientclientid, record.recipient_client_id].filter((value) => value !== undefined);
  if (named.length === 0) return 'the event names no recipientclientid';
  if (named.some((value) => typeof value !== 'string' || !clientIds.has(value))) {
    return 'the event is addressed to another client id';
  }
  return undefined;
}

function safeId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

function count(reports: readonly EventReport[], action: EventAction): number {
  return reports.filter((report) => report.action === action).length;
}
