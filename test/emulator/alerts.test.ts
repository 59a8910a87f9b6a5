import {
  alertFor,
  failureAlertFor,
  inCloudEvents,
  inEventBridge,
  inLegacyEnvelope,
} from '../../emulator/alerts';
import { EmulatorState } from '../../emulator/state';
import { readRunObject } from '../../lambda/core/run-object';
import { ORG, SANDBOX } from './support';

function failedRunAndFlow() {
  const state = new EmulatorState();
  const flow = state.addFlow({
    name: 'Dataflow - wx_medallia_export_combined.csv',
    sandboxName: SANDBOX,
    orgId: ORG,
  });
  const run = state.addRun({ flowId: flow.id });
  return { state, flow, run };
}

describe('alert builders', () => {
  it('builds the failure alert of reference 4.3: the run, flowName and header._adobeio', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();

    // Act
    const alert = failureAlertFor(run, flow);

    // Assess
    expect(alert).toEqual({
      ...run,
      flowName: 'Dataflow - wx_medallia_export_combined.csv',
      header: {
        _adobeio: {
          imsOrgId: ORG,
          providerMetadata: 'aep_observability_catalog_events',
          eventCode: 'source_flow_run_error',
        },
      },
    });
    expect(alert.metrics.statusSummary).toMatchObject({
      status: 'failed',
      errors: [{ code: 'CONNECTOR-1001-500', message: 'Error in copying the data from Source.' }],
      activityRefs: ['4f008a00-3a04-11eb-adc1-0242ac120002'],
    });
    expect(alert.metrics.recordSummary.failedInfo).toEqual([{ code: '2200', message: expect.any(String) }]);
    expect(alert.activities[0]).toMatchObject({
      name: 'SFTP Copy Activity',
      statusSummary: { status: 'failed', extensions: { errors: [{ code: '2200' }] } },
    });
  });

  it('builds an alert the project reads back as the same run', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();

    // Act
    const read = readRunObject(failureAlertFor(run, flow));

    // Assess
    expect(read).toMatchObject({
      id: run.id,
      flowId: flow.id,
      status: 'failed',
      sandboxName: SANDBOX,
      imsOrgId: ORG,
      errorCodes: ['CONNECTOR-1001-500', '2200'],
    });
  });

  it('does not change the run it is given', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();
    const before = structuredClone(run);

    // Act
    const alert = failureAlertFor(run, flow) as { id: string };
    alert.id = 'changed';

    // Assess
    expect(run).toEqual(before);
  });

  it('uses the info event code for runs that did not fail', () => {
    // Prepare
    const { state, flow } = failedRunAndFlow();
    const success = state.addRun({ flowId: flow.id, status: 'success' });

    // Act
    const alert = alertFor(success, flow);

    // Assess
    expect(alert.header._adobeio.eventCode).toBe('source_flow_run_info');
  });

  it('puts a promotion failure on the promotion activity', () => {
    // Prepare
    const { state, flow } = failedRunAndFlow();

    // Act
    const run = state.addRun({
      flowId: flow.id,
      errors: [{ code: 'CONNECTOR-2001-500', details: ['MAPPER-3700-400'] }],
    });

    // Assess
    expect(run.activities.map((activity) => activity.statusSummary.status)).toEqual(['success', 'failed']);
    expect(run.activities[1]?.statusSummary.extensions?.errors).toEqual([
      { code: 'MAPPER-3700-400', message: 'Mapper Transform Error' },
    ]);
    expect(readRunObject(run)?.errorCodes).toEqual(['CONNECTOR-2001-500', 'MAPPER-3700-400']);
  });

  it('wraps a payload in the CloudEvents envelope, payload in data', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();
    const payload = failureAlertFor(run, flow);

    // Act
    const envelope = inCloudEvents(payload, { recipientClientId: 'registration-client' });

    // Assess
    expect(envelope).toEqual({
      specversion: '1.0',
      type: 'source_flow_run_error',
      source: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      time: expect.any(String),
      datacontenttype: 'application/json',
      eventid: envelope.id,
      event_id: envelope.id,
      recipientclientid: 'registration-client',
      recipient_client_id: 'registration-client',
      data: payload,
    });
    expect(inCloudEvents(payload).id).not.toBe(envelope.id);
  });

  it('wraps a payload in the legacy I/O Events envelope, payload in event', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();
    const payload = failureAlertFor(run, flow);

    // Act
    const envelope = inLegacyEnvelope(payload, { eventId: 'evt-1' });

    // Assess
    expect(envelope).toEqual({ event_id: 'evt-1', event: payload });
  });

  it('wraps a payload in an EventBridge partner event, payload in detail', () => {
    // Prepare
    const { flow, run } = failedRunAndFlow();
    const payload = failureAlertFor(run, flow);

    // Act
    const envelope = inEventBridge(payload, { time: new Date('2026-01-02T03:04:05.678Z') });

    // Assess
    expect(envelope).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Platform notifications:source_flow_run_error',
      source: expect.stringMatching(/^aws\.partner\/developer\.adobe\.com\//),
      account: '123456789012',
      time: '2026-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: [],
      detail: payload,
    });
  });
});
