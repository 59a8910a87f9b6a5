/**
 * What the stack's alert producers (the webhook ingress and the missed-alert sweep) share: the
 * alerts topic and the event de-duplication record as ports, and the run-object alert they publish
 * when they build one themselves. Pure.
 */
import type { FailedRunAlert, FlowRun, RunScope } from './model';
import type { CallOptions } from './ports';

/** SNS's message size limit, attributes included (256 KiB). */
export const SNS_MESSAGE_LIMIT_BYTES = 262_144;

/** Publishes alert messages to the alerts topic, for the retrier to pick up. */
export interface AlertsTopicPort {
  /**
   * Publishes one alert (the JSON text the retrier normalises) with String message attributes.
   * @returns the SNS message id
   * @throws AwsCallError (`transient` or `configuration`)
   */
  publish(
    message: string,
    attributes: Readonly<Record<string, string>>,
    options?: CallOptions,
  ): Promise<{ readonly messageId: string }>;
}

/** What is remembered of a forwarded I/O event. */
export interface ForwardedEvent {
  readonly messageId: string;
  readonly runId?: string;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * The `EVENT#<id>` items of the ledger: which I/O events were already forwarded, so I/O Events'
 * redeliveries publish nothing new. The retrier's run claims stay the real exactly-once guard;
 * this only keeps duplicates off the topic.
 */
export interface EventLedgerPort {
  /** True when the event was forwarded before (and its record has not expired). */
  wasForwarded(eventKey: string, options?: CallOptions): Promise<boolean>;
  /** Records a forwarded event; called only after the publish succeeded. */
  rememberForwarded(eventKey: string, event: ForwardedEvent, options?: CallOptions): Promise<void>;
}

/** Where a built alert came from, written into it so people reading the topic can tell. */
export type BuiltAlertOrigin = 'sweep' | 'webhook';

/**
 * A "Sources Flow Run Failure" alert for a run, in the shape of the AEP alert payload (the run
 * object) with only what the retrier reads: ids, sandbox, org, status, error codes and completion
 * time. The sweep publishes it for runs it found; the webhook publishes it in place of an event
 * too large for SNS.
 */
export function runAlertPayload(
  run: Pick<FlowRun, 'id' | 'flowId' | 'errorCodes'> & Partial<FlowRun>,
  scope: RunScope,
  origin: BuiltAlertOrigin,
  extra: { readonly flowName?: string } = {},
): Record<string, unknown> {
  return {
    id: run.id,
    flowId: run.flowId,
    sandboxName: run.sandboxName ?? scope.sandboxName,
    imsOrgId: run.imsOrgId ?? scope.orgId,
    ...(run.createdAt === undefined ? {} : { createdAt: run.createdAt }),
    ...(extra.flowName === undefined ? {} : { flowName: extra.flowName }),
    metrics: {
      ...(run.completedAt === undefined ? {} : { durationSummary: { completedAtUTC: run.completedAt } }),
      statusSummary: { status: 'failed', errors: run.errorCodes.map((code) => ({ code })) },
    },
    // Not Adobe's `header._adobeio`: this alert was built by the stack, and says so.
    autoRetry: { builtBy: origin },
  };
}

/** {@link runAlertPayload} for an alert already read (the webhook's oversized events). */
export function compactAlertPayload(
  alert: FailedRunAlert,
  origin: BuiltAlertOrigin,
): Record<string, unknown> {
  return runAlertPayload(
    {
      id: alert.runId,
      flowId: alert.flowId,
      errorCodes: alert.errorCodes,
      sandboxName: alert.sandboxName,
      imsOrgId: alert.imsOrgId,
      completedAt: alert.completedAt,
    },
    { orgId: alert.imsOrgId, sandboxName: alert.sandboxName },
    origin,
    { flowName: alert.flowName },
  );
}

/** UTF-8 size of a message and its String attributes, as SNS counts it. */
export function snsMessageBytes(message: string, attributes: Readonly<Record<string, string>>): number {
  let bytes = Buffer.byteLength(message, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength('String', 'utf8') + Buffer.byteLength(value);
  }
  return bytes;
}
