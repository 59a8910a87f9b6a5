/**
 * Builds "Sources Flow Run" alert payloads as Adobe documents them (reference 4.3) and the
 * envelopes I/O Events and Amazon EventBridge put around them (4.3, 4.4). Pure, apart from the
 * random ids and the clock of the envelopes.
 */
import { randomUUID } from 'node:crypto';
import type { FlowObject, RunObject } from './types';

/** I/O Events provider metadata of Platform notifications (reference 4.3). */
export const PROVIDER_METADATA = 'aep_observability_catalog_events';
/** Event code of Failure, Delay and Error-rate alerts. */
export const ERROR_EVENT_CODE = 'source_flow_run_error';
/** Event code of Start and Success alerts. */
export const INFO_EVENT_CODE = 'source_flow_run_info';

/** A flow-run alert: the run object itself, plus `flowName` and `header._adobeio`. */
export type AlertPayload = RunObject & {
  readonly flowName: string;
  readonly header: {
    readonly _adobeio: {
      readonly imsOrgId: string;
      readonly providerMetadata: typeof PROVIDER_METADATA;
      readonly eventCode: typeof ERROR_EVENT_CODE | typeof INFO_EVENT_CODE;
    };
  };
};

function alertWith(
  run: RunObject,
  flow: Pick<FlowObject, 'name'>,
  eventCode: AlertPayload['header']['_adobeio']['eventCode'],
): AlertPayload {
  return {
    ...structuredClone(run),
    flowName: flow.name,
    header: { _adobeio: { imsOrgId: run.imsOrgId, providerMetadata: PROVIDER_METADATA, eventCode } },
  };
}

/**
 * The "Sources Flow Run Failure" alert about a run, as the rules page's schema payload shows it.
 * The run is taken as given: pass a failed run for a faithful alert.
 */
export function failureAlertFor(run: RunObject, flow: Pick<FlowObject, 'name'>): AlertPayload {
  return alertWith(run, flow, ERROR_EVENT_CODE);
}

/**
 * The alert Adobe sends about a run in its current state: Failure (`source_flow_run_error`) for a
 * failed run, Start or Success (`source_flow_run_info`) otherwise.
 */
export function alertFor(run: RunObject, flow: Pick<FlowObject, 'name'>): AlertPayload {
  return alertWith(
    run,
    flow,
    run.metrics.statusSummary.status === 'failed' ? ERROR_EVENT_CODE : INFO_EVENT_CODE,
  );
}

/** Ids of an envelope; random when left out. */
export interface EnvelopeOptions {
  /** The event id (`id`/`eventid`/`event_id`). */
  readonly eventId?: string;
  /** The I/O Events registration's client id (`recipientclientid`, `recipient_client_id`). */
  readonly recipientClientId?: string;
  /** When the event was sent. @default now */
  readonly time?: Date;
}

/** The I/O Events CloudEvents envelope: payload in `data`. */
export interface CloudEventsEnvelope {
  readonly specversion: '1.0';
  readonly type: string;
  readonly source: string;
  readonly id: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly eventid: string;
  readonly event_id: string;
  readonly recipientclientid?: string;
  readonly recipient_client_id?: string;
  readonly data: AlertPayload;
}

/** The legacy I/O Events envelope: payload in `event`. */
export interface LegacyEnvelope {
  readonly event_id: string;
  readonly recipient_client_id?: string;
  readonly event: AlertPayload;
}

/** The Amazon EventBridge envelope: payload in `detail`. */
export interface EventBridgeEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: AlertPayload;
}

function recipient(options: EnvelopeOptions, cloudEvents: boolean): Record<string, string> {
  if (!options.recipientClientId) return {};
  return cloudEvents
    ? { recipientclientid: options.recipientClientId, recipient_client_id: options.recipientClientId }
    : { recipient_client_id: options.recipientClientId };
}

/**
 * Wraps a payload in the CloudEvents envelope I/O Events delivers to webhooks, with both the new
 * (`eventid`) and the deprecated (`event_id`) id fields, as the I/O Events FAQ describes.
 */
export function inCloudEvents(payload: AlertPayload, options: EnvelopeOptions = {}): CloudEventsEnvelope {
  const id = options.eventId ?? randomUUID();
  return {
    specversion: '1.0',
    type: payload.header._adobeio.eventCode,
    source: `urn:uuid:${randomUUID()}`,
    id,
    time: (options.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    eventid: id,
    event_id: id,
    ...recipient(options, true),
    data: payload,
  };
}

/** Wraps a payload in the legacy I/O Events envelope (`event_id`, `event`). */
export function inLegacyEnvelope(payload: AlertPayload, options: EnvelopeOptions = {}): LegacyEnvelope {
  return { event_id: options.eventId ?? randomUUID(), ...recipient(options, false), event: payload };
}

/**
 * Wraps a payload in an Amazon EventBridge partner event, payload in `detail`. What Adobe puts in
 * `detail` for Platform notifications is [UNCONFIRMED] (reference 4.4); this assumes the payload.
 */
export function inEventBridge(
  payload: AlertPayload,
  options: EnvelopeOptions & { readonly account?: string; readonly region?: string } = {},
): EventBridgeEnvelope {
  return {
    version: '0',
    id: options.eventId ?? randomUUID(),
    'detail-type': `Platform notifications:${payload.header._adobeio.eventCode}`,
    source: `aws.partner/developer.adobe.com/${randomUUID()}`,
    account: options.account ?? '123456789012',
    // EventBridge times have no milliseconds.
    time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region ?? 'us-east-1',
    resources: [],
    detail: payload,
  };
}
