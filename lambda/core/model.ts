/**
 * The domain's data: what an alert, a run, a flow and a credential are once read.
 * Pure types; no I/O.
 */

/** Where an alert came from, for logs and outcomes. */
export type AlertSource =
  | 'run' // the AEP run object itself (rules page "Schema payload")
  | 'cloudevents' // I/O Events CloudEvents envelope, payload in `data`
  | 'io-legacy' // I/O Events legacy envelope, payload in `event`
  | 'eventbridge' // Amazon EventBridge envelope, payload in `detail`
  | 'sweep' // found by the missed-alert sweep
  | 'manual'; // an operator's `aep-autoretry retry`

/** A "Sources Flow Run Failure" alert, read and checked. */
export interface FailedRunAlert {
  readonly runId: string;
  readonly flowId: string;
  /** Lower-case sandbox name, sent as `x-sandbox-name`. */
  readonly sandboxName: string;
  /** `...@AdobeOrg`, sent as `x-gw-ims-org-id`. */
  readonly imsOrgId: string;
  readonly flowName?: string;
  /** Top-level codes (`metrics.statusSummary.errors`) first, then nested ones; unique. */
  readonly errorCodes: readonly string[];
  /** When the run ended (epoch ms), when the alert says. */
  readonly completedAt?: number;
  readonly source: AlertSource;
  /** The I/O Events event id (`eventid`, `event_id`, EventBridge `id`), when there is one. */
  readonly eventId?: string;
}

/** What can be read of an alert that is not acted on, for the outcome message. */
export interface AlertIds {
  readonly runId?: string;
  readonly flowId?: string;
  readonly flowName?: string;
  readonly sandboxName?: string;
  readonly imsOrgId?: string;
  readonly errorCodes?: readonly string[];
}

/** The result of reading one alert message. Reading never throws. */
export type NormalisedAlert =
  | { readonly kind: 'failure'; readonly alert: FailedRunAlert }
  /** A readable alert that is not a run failure: start, success, delay, error-rate. */
  | { readonly kind: 'ignored'; readonly reason: string; readonly ids: AlertIds }
  /** An unreadable message: not JSON, no run id, wrong types, too large. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly ids: AlertIds };

/** A dataflow run as Flow Service returns it, reduced to what the retrier needs. */
export interface FlowRun {
  readonly id: string;
  readonly flowId: string;
  /** `metrics.statusSummary.status`: `failed`, `success`, `inProgress`, ... */
  readonly status: string;
  readonly sandboxName?: string;
  readonly imsOrgId?: string;
  /** Epoch ms. */
  readonly createdAt?: number;
  /** Epoch ms, `metrics.durationSummary.completedAtUTC`. */
  readonly completedAt?: number;
  readonly errorCodes: readonly string[];
  /** `etag` or `eTag`, whichever the response has. */
  readonly etag?: string;
  /** Set by some Flow Service versions on re-triggered runs [UNCONFIRMED]; used when present. */
  readonly parentFlowRunId?: string;
}

/** A dataflow as Flow Service returns it, reduced to what the retrier needs. */
export interface Flow {
  readonly id: string;
  readonly name?: string;
  /** `enabled`, `disabled`, ... */
  readonly state: string;
}

/** What Flow Service answered to a re-trigger: the run it created. */
export interface RetriggeredRun {
  readonly runId: string;
  readonly etag?: string;
}

/** One OAuth Server-to-Server credential, as stored in the secret. */
export interface Credential {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  readonly scopes: readonly string[];
}

/** Which org and sandbox a Flow Service call runs in. */
export interface RunScope {
  readonly orgId: string;
  readonly sandboxName: string;
}
