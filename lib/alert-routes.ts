/**
 * Settings of the three ways AEP alerts reach the alerts topic that the construct can build: the
 * Adobe I/O Events webhook (a Lambda function URL), the Amazon EventBridge partner-bus route, and
 * the missed-alert sweep. Types, defaults, the EventBridge pattern and validation; the resources
 * are made in `dataflow-auto-retry.ts`. This file never imports runtime code.
 */
import { Duration, Token } from 'aws-cdk-lib';

/** Where Adobe publishes the I/O Events signature keys; the webhook fetches keys from nowhere else. */
export const ADOBE_IO_EVENTS_KEY_ORIGIN = 'https://static.adobeioevents.com';

/** The I/O Events webhook ingress. */
export interface WebhookIngressProps {
  /**
   * The client id(s) (API keys) of the Adobe Developer Console project(s) whose I/O Events
   * registration calls the webhook. An event's `recipientclientid` must be one of them.
   */
  readonly clientIds: readonly string[];
  /**
   * Concurrency reserved for (and capping) the ingress. A cap bounds what a flood of forged
   * requests to the public URL can cost; Adobe's deliveries are few. Needs that much unreserved
   * concurrency in the account.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
}

/** The Amazon EventBridge route from Adobe's partner event bus. */
export interface EventBridgeRouteProps {
  /**
   * Name of the event bus associated with the Adobe I/O Events partner event source, e.g.
   * `aws.partner/developer.adobe.com/1a2b3c4d-...` (EventBridge console, Partner event sources).
   */
  readonly partnerEventBusName: string;
}

/** The scheduled missed-alert sweep. */
export interface MissedAlertSweepProps {
  /** Sandbox names to sweep in every org the credential secret holds, e.g. `['prod', 'dev']`. */
  readonly sandboxes: readonly string[];
  /**
   * How often the sweep runs (whole minutes, 1 minute to 1 day).
   * @default Duration.minutes(15)
   */
  readonly schedule?: Duration;
  /**
   * How far back each sweep looks, by run creation time (whole minutes). At least the schedule,
   * at most 7 days, and shorter than the ledger's TTL.
   * @default Duration.hours(2)
   */
  readonly lookback?: Duration;
  /**
   * The most failed runs one sweep lists, over every org and sandbox.
   * @default 500
   */
  readonly maxRunsPerSweep?: number;
  /**
   * The most alerts one sweep publishes; the rest wait for the next sweep.
   * @default 50
   */
  readonly maxPublishesPerSweep?: number;
  /**
   * The most Flow Service list calls one sweep starts per second.
   * @default 2
   */
  readonly maxCallsPerSecond?: number;
}

/** Defaults of {@link MissedAlertSweepProps}. */
export const SWEEP_DEFAULTS = {
  schedule: Duration.minutes(15),
  lookback: Duration.hours(2),
  maxRunsPerSweep: 500,
  maxPublishesPerSweep: 50,
  maxCallsPerSecond: 2,
} as const;

/** The sweep's longest look-back: 7 days. */
export const MAX_SWEEP_LOOKBACK = Duration.days(7);

/** A failed run in an alert payload: the status is the only thing that tells Failure apart (reference 4.3). */
const FAILED_RUN = { metrics: { statusSummary: { status: [{ 'equals-ignore-case': 'failed' }] } } };

/**
 * The EventBridge pattern of AEP flow-run failures on the Adobe partner bus. What Adobe puts in
 * `detail` for Platform notifications is [UNCONFIRMED] (reference 4.4), so a failed run is matched
 * in `detail` itself, in a CloudEvents `detail.data` and in a legacy `detail.event`.
 */
export const ADOBE_FAILURE_EVENT_PATTERN = {
  source: [{ prefix: 'aws.partner/developer.adobe.com' }],
  detail: { $or: [FAILED_RUN, { data: FAILED_RUN }, { event: FAILED_RUN }] },
} as const;

/** Settings of the routes, checked and with defaults. */
export interface AlertRouteSettings {
  readonly webhook?: {
    readonly clientIds: readonly string[];
    readonly reservedConcurrentExecutions?: number;
  };
  readonly eventBridge?: { readonly partnerEventBusName: string };
  readonly sweep?: {
    readonly sandboxes: readonly string[];
    readonly schedule: Duration;
    readonly lookback: Duration;
    readonly maxRunsPerSweep: number;
    readonly maxPublishesPerSweep: number;
    readonly maxCallsPerSecond: number;
  };
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SANDBOX_NAME = /^[a-z0-9][a-z0-9._-]{0,255}$/;
const EVENT_BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

/**
 * Checks the route props.
 * @param ledgerTtlDays the ledger's TTL: the sweep must not look back further than items live
 * @returns the settings and every problem found, each with its fix
 */
export function checkAlertRoutes(
  props: {
    readonly webhook?: WebhookIngressProps;
    readonly eventBridge?: EventBridgeRouteProps;
    readonly sweep?: MissedAlertSweepProps;
  },
  ledgerTtlDays: number,
): { settings: AlertRouteSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: {
    webhook?: AlertRouteSettings['webhook'];
    eventBridge?: AlertRouteSettings['eventBridge'];
    sweep?: AlertRouteSettings['sweep'];
  } = {};

  if (props.webhook) {
    const { clientIds, reservedConcurrentExecutions: reserved } = props.webhook;
    if (clientIds.length === 0) {
      problems.push('webhook.clientIds must name the client id of the I/O Events registration');
    }
    for (const id of clientIds) {
      if (!isTokenOr(id, CLIENT_ID)) {
        problems.push(
          `webhook.clientIds must be Developer Console client ids (letters, digits, - and _), got "${id}"`,
        );
      }
    }
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      problems.push(
        `webhook.reservedConcurrentExecutions must be a whole number of at least 1, got ${reserved}`,
      );
    }
    settings.webhook = {
      clientIds,
      ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
    };
  }

  if (props.eventBridge) {
    const name = props.eventBridge.partnerEventBusName;
    if (!isTokenOr(name, EVENT_BUS_NAME) || name === 'default') {
      problems.push(
        `eventBridge.partnerEventBusName must name the event bus of the Adobe partner event source (aws.partner/developer.adobe.com/...), got "${name}"`,
      );
    }
    settings.eventBridge = { partnerEventBusName: name };
  }

  if (props.sweep) {
    const sweep = props.sweep;
    const schedule = sweep.schedule ?? SWEEP_DEFAULTS.schedule;
    const lookback = sweep.lookback ?? SWEEP_DEFAULTS.lookback;
    const maxRunsPerSweep = sweep.maxRunsPerSweep ?? SWEEP_DEFAULTS.maxRunsPerSweep;
    const maxPublishesPerSweep = sweep.maxPublishesPerSweep ?? SWEEP_DEFAULTS.maxPublishesPerSweep;
    const maxCallsPerSecond = sweep.maxCallsPerSecond ?? SWEEP_DEFAULTS.maxCallsPerSecond;
    if (sweep.sandboxes.length === 0)
      problems.push('sweep.sandboxes must name at least one sandbox, e.g. ["prod"]');
    for (const name of sweep.sandboxes) {
      if (!isTokenOr(name.toLowerCase(), SANDBOX_NAME)) {
        problems.push(
          `sweep.sandboxes must be sandbox names (lower-case letters, digits, -, _ and .), got "${name}"`,
        );
      }
    }
    const scheduleMinutes = minutes(schedule);
    if (scheduleMinutes === undefined || scheduleMinutes < 1 || scheduleMinutes > 24 * 60) {
      problems.push(
        `sweep.schedule must be whole minutes from 1 minute to 1 day, got ${schedule.toHumanString()}`,
      );
    }
    const lookbackMinutes = minutes(lookback);
    if (
      lookbackMinutes === undefined ||
      lookbackMinutes < 1 ||
      lookbackMinutes > MAX_SWEEP_LOOKBACK.toMinutes()
    ) {
      problems.push(`sweep.lookback must be whole minutes, at most 7 days, got ${lookback.toHumanString()}`);
    } else {
      if (scheduleMinutes !== undefined && lookbackMinutes < scheduleMinutes) {
        problems.push(
          `sweep.lookback (${lookback.toHumanString()}) must be at least sweep.schedule (${schedule.toHumanString()}), or runs failing between sweeps are never looked at`,
        );
      }
      if (lookbackMinutes >= ledgerTtlDays * 24 * 60) {
        problems.push(
          `sweep.lookback (${lookback.toHumanString()}) must be shorter than ledgerTtlDays (${ledgerTtlDays}), or the sweep finds runs whose ledger items expired and re-triggers them again`,
        );
      }
    }
    for (const [name, value, max] of [
      ['maxRunsPerSweep', maxRunsPerSweep, 10_000],
      ['maxPublishesPerSweep', maxPublishesPerSweep, 1000],
      ['maxCallsPerSecond', maxCallsPerSecond, 50],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        problems.push(`sweep.${name} must be a whole number from 1 to ${max}, got ${value}`);
      }
    }
    settings.sweep = {
      sandboxes: sweep.sandboxes.map((name) => name.toLowerCase()),
      schedule,
      lookback,
      maxRunsPerSweep,
      maxPublishesPerSweep,
      maxCallsPerSecond,
    };
  }
  return { settings, problems };
}

function isTokenOr(value: string, pattern: RegExp): boolean {
  return Token.isUnresolved(value) || pattern.test(value);
}

/** Whole minutes of a duration, or undefined when it is not a whole number of minutes. */
function minutes(duration: Duration): number | undefined {
  if (Token.isUnresolved(duration.toString())) return undefined;
  const seconds = duration.toSeconds();
  return seconds % 60 === 0 ? seconds / 60 : undefined;
}
