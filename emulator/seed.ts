/**
 * Demo data for the local sandbox and `npm run emulator -- --seed`: one org credential, batch
 * flows (enabled and disabled), a streaming flow and a few failed runs in sandbox `prod`.
 */
import type { EmulatorState } from './state';
import type { CredentialInput, FlowObject, RunObject } from './types';

/**
 * The demo credential. Its secret is a local demo value, known to anyone who reads this file:
 * it only opens this emulator.
 */
export const DEMO_CREDENTIAL: Required<CredentialInput> = {
  clientId: 'aep-autoretry-demo-client',
  clientSecret: 'local-demo-secret-not-for-adobe',
  orgId: 'DE0DE0DE0DE0DE0DE0DE0DE0@AdobeOrg',
  scopes: ['openid', 'AdobeID', 'read_organizations', 'additional_info.projectedProductContext', 'session'],
};

/** The sandbox the demo flows live in. */
export const DEMO_SANDBOX = 'prod';

/** Fixed ids, so docs and curl examples can name them. */
export const DEMO_FLOW_IDS = {
  sftp: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89',
  s3: '2edc08ac-4df5-4fe6-936f-81a19ce92f5c',
  bigquery: '5a1f6d3e-8a0b-4c2e-9d41-7e3b2c9f0a11',
  disabled: '9b2e4c6a-1d3f-4e5a-8b7c-0d1e2f3a4b5c',
  streaming: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
} as const;

/** What {@link seedDemo} created. */
export interface DemoSeed {
  readonly credential: typeof DEMO_CREDENTIAL;
  readonly flows: Readonly<Record<keyof typeof DEMO_FLOW_IDS, FlowObject>>;
  /** Runs the retrier could act on, and the ones it must refuse, newest last. */
  readonly runs: {
    /** Copy failures with a network time-out (CONNECTOR-1001-500 / 2200): retryable. */
    readonly retryable: readonly RunObject[];
    /** A mapping failure (CONNECTOR-2001-500 / MAPPER-3700-400): not worth a retry. */
    readonly permanent: RunObject;
    /** A failed run of the disabled flow: re-trigger answers FLOW-1388-400. */
    readonly ofDisabledFlow: RunObject;
    /** A failed run of the streaming flow: re-trigger answers FLOW-1333-400. */
    readonly ofStreamingFlow: RunObject;
    readonly succeeded: RunObject;
  };
}

/** Adds the demo credential, flows and runs to a state. */
export function seedDemo(state: EmulatorState, now = Date.now()): DemoSeed {
  // Any scope is accepted: the demo should not fail on a scope string copied from elsewhere.
  const { scopes: _scopes, ...credential } = DEMO_CREDENTIAL;
  state.addCredential(credential);
  const common = { sandboxName: DEMO_SANDBOX, orgId: DEMO_CREDENTIAL.orgId } as const;
  const flows = {
    sftp: state.addFlow({
      ...common,
      id: DEMO_FLOW_IDS.sftp,
      name: 'Dataflow - orders_export.csv (SFTP)',
      source: 'sftp',
    }),
    s3: state.addFlow({
      ...common,
      id: DEMO_FLOW_IDS.s3,
      name: 'Dataflow - s3://acme-crm/customers/',
      source: 's3',
    }),
    bigquery: state.addFlow({
      ...common,
      id: DEMO_FLOW_IDS.bigquery,
      name: 'Database dataflow using BigQuery',
      source: 'bigquery',
    }),
    disabled: state.addFlow({
      ...common,
      id: DEMO_FLOW_IDS.disabled,
      name: 'Dataflow - legacy_loyalty.csv (disabled)',
      state: 'disabled',
      source: 'sftp',
    }),
    streaming: state.addFlow({
      ...common,
      id: DEMO_FLOW_IDS.streaming,
      name: 'HTTP API streaming dataflow',
      sourceKind: 'streaming',
    }),
  };
  const minutesAgo = (minutes: number) => now - minutes * 60_000;
  const runs = {
    succeeded: state.addRun({ flowId: flows.sftp.id, status: 'success', createdAt: minutesAgo(180) }),
    permanent: state.addRun({
      flowId: flows.s3.id,
      createdAt: minutesAgo(90),
      errors: [{ code: 'CONNECTOR-2001-500', details: ['MAPPER-3700-400'] }],
    }),
    ofDisabledFlow: state.addRun({ flowId: flows.disabled.id, createdAt: minutesAgo(75) }),
    ofStreamingFlow: state.addRun({ flowId: flows.streaming.id, createdAt: minutesAgo(70) }),
    retryable: [
      state.addRun({ flowId: flows.sftp.id, createdAt: minutesAgo(60) }),
      state.addRun({ flowId: flows.bigquery.id, createdAt: minutesAgo(30) }),
      state.addRun({ flowId: flows.sftp.id, createdAt: minutesAgo(5) }),
    ],
  };
  return { credential: DEMO_CREDENTIAL, flows, runs };
}
