/**
 * Fakes of the alert producers' ports (`lambda/core/forwarding.ts`): a recording alerts topic and
 * an in-memory event ledger, both able to fail on demand.
 */
import { AwsCallError } from '../../../lambda/core/errors';
import type { AlertsTopicPort, EventLedgerPort, ForwardedEvent } from '../../../lambda/core/forwarding';

/** A message published to the fake alerts topic. */
export interface PublishedAlert {
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
}

/** Records publishes; `failNext(n)` makes the next n throw a transient AWS error. */
export function recordingAlertsTopic() {
  const published: PublishedAlert[] = [];
  let failures = 0;
  let ids = 0;
  const port: AlertsTopicPort = {
    async publish(message, attributes) {
      if (failures > 0) {
        failures--;
        throw new AwsCallError('publishing an alert failed: InternalError: SNS is down', {
          kind: 'transient',
        });
      }
      const messageId = `message-${++ids}`;
      published.push({ message, attributes: { ...attributes }, messageId });
      return { messageId };
    },
  };
  return Object.assign(port, {
    published,
    /** The published messages, parsed. */
    bodies: () => published.map((entry) => JSON.parse(entry.message) as Record<string, unknown>),
    failNext(count = 1) {
      failures += count;
    },
  });
}

/** An in-memory `EVENT#` store; reads or writes can be made to fail. */
export function memoryEventLedger() {
  const events = new Map<string, ForwardedEvent>();
  const failing = { reads: 0, writes: 0 };
  const port: EventLedgerPort = {
    async wasForwarded(eventKey) {
      if (failing.reads > 0) {
        failing.reads--;
        throw new AwsCallError('reading an event failed: throttled', { kind: 'transient' });
      }
      return events.has(eventKey);
    },
    async rememberForwarded(eventKey, event) {
      if (failing.writes > 0) {
        failing.writes--;
        throw new AwsCallError('recording an event failed: throttled', { kind: 'transient' });
      }
      events.set(eventKey, event);
    },
  };
  return Object.assign(port, { events, failing });
}
