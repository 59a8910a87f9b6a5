import { MAX_ALERT_BYTES, normaliseAlert } from '../../../lambda/core/alert';
import type { AlertSource, NormalisedAlert } from '../../../lambda/core/model';
import { SAFE_ID } from '../../../lambda/core/run-object';
import { listFixtures, loadFixture, loadFixtureText } from '../../support/fixtures';
import { seededRandom } from '../../support/random';

// biome-ignore lint/suspicious/noExplicitAny: tests edit deep fields of parsed JSON fixtures
type Json = Record<string, any>;

const FAILURE_ORG = '4353388057AC8D357F000101@AdobeOrg';
const FILLED_ORG = 'A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg';

function failureOf(result: NormalisedAlert) {
  if (result.kind !== 'failure') throw new Error(`expected a failure, got ${result.kind}: ${result.reason}`);
  return result.alert;
}

function reasonOf(result: NormalisedAlert, kind: 'ignored' | 'rejected'): string {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result.reason;
}

/** The 4.3 failure payload, parsed afresh. */
function failurePayload(): Json {
  return loadFixture<Json>('alerts/failure-run.json');
}

interface FixtureCase {
  readonly file: string;
  readonly kind: NormalisedAlert['kind'];
  readonly runId?: string;
  readonly flowId?: string;
  readonly sandboxName?: string;
  readonly imsOrgId?: string;
  readonly errorCodes?: readonly string[];
  readonly source?: AlertSource;
  readonly eventId?: string;
  readonly reason?: string;
}

const FAILURE_RUN = {
  runId: 'f0b809c5-603d-4d6e-9600-977cb2e277b4',
  flowId: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89',
  sandboxName: 'dev',
  imsOrgId: FAILURE_ORG,
  errorCodes: ['CONNECTOR-1001-500', '2200'],
} as const;

const FIXTURE_CASES: readonly FixtureCase[] = [
  { file: 'alerts/failure-run.json', kind: 'failure', ...FAILURE_RUN, source: 'run' },
  {
    file: 'alerts/failure-cloudevents.json',
    kind: 'failure',
    ...FAILURE_RUN,
    source: 'cloudevents',
    eventId: '8927ce83-2f10-4df9-9eb4-09c381bc4778',
  },
  {
    file: 'alerts/failure-io-legacy.json',
    kind: 'failure',
    ...FAILURE_RUN,
    source: 'io-legacy',
    eventId: '5f1a7c2e-3b9d-4e61-8a0f-2c4d6e8b9a17',
  },
  {
    file: 'alerts/failure-eventbridge.json',
    kind: 'failure',
    ...FAILURE_RUN,
    source: 'eventbridge',
    eventId: '4bc56dd4-8009-9893-2bc0-a65214f1ef02',
  },
  {
    file: 'alerts/failure-partial-codes.json',
    kind: 'failure',
    runId: '9830305a-985f-47d0-b030-5a985fd7d004',
    flowId: 'c9cef9cb-c934-4467-8ef9-cbc934546741',
    sandboxName: 'prod',
    imsOrgId: FILLED_ORG,
    errorCodes: ['CONNECTOR-2001-500', 'INGEST-1212-400', 'MAPPER-3700-400'],
    source: 'run',
  },
  {
    file: 'alerts/failure-no-files.json',
    kind: 'failure',
    runId: 'd9024c32-2174-4271-824c-322174627101',
    flowId: 'cf4fce79-8822-456d-8fce-798822556dc6',
    sandboxName: 'prod',
    imsOrgId: FILLED_ORG,
    errorCodes: ['CONNECTOR-2001-500', '133'],
    source: 'run',
  },
  {
    file: 'alerts/success-run.json',
    kind: 'ignored',
    runId: 'e3b63e78-b9fb-4e58-bac6-b7497e7bde04',
    flowId: 'cd9b4bbc-c1c6-4630-859e-49776afb483b',
    sandboxName: 'mlb-enablement',
    imsOrgId: 'A65F776A5245B01B0A490D44@AdobeOrg',
    reason: 'run e3b63e78-b9fb-4e58-bac6-b7497e7bde04 is success: only failures are re-triggered',
  },
  {
    file: 'alerts/start-run.json',
    kind: 'ignored',
    runId: '66643b20-dc76-4b04-bacf-93bee162683c',
    flowId: '05222685-e2b7-4367-a5a2-db4d7acda43d',
    sandboxName: 'dev',
    imsOrgId: 'A565899B544AA2E80A4C98BC@AdobeOrg',
    reason: 'run 66643b20-dc76-4b04-bacf-93bee162683c is inProgress: only failures are re-triggered',
  },
  {
    file: 'alerts/delay-alert.json',
    kind: 'ignored',
    runId: 'test-f9d2a873-28c7-402d-891a-3f19dd6b4ad7',
    flowId: 'de887077-5cf6-425f-9472-257168ad3c97',
    sandboxName: 'observability-01',
    imsOrgId: '9C991D2E622D76190A495E39@AdobeOrg',
    reason: 'flow run delay alert (FIRING) is not a failure',
  },
  {
    file: 'alerts/error-rate-alert.json',
    kind: 'ignored',
    flowId: '4045eb32-95e2-4c54-a6b2-07209c43fff7',
    sandboxName: 'prod',
    imsOrgId: '777B575E55828EBB7F000101@AdobeOrg',
    reason: 'ingestion error rate alert (INACTIVE) is not a failure',
  },
  {
    file: 'alerts/legacy-success-event.json',
    kind: 'ignored',
    runId: '933cf9f4-cf01-4d75-bcf9-f4cf010d750a',
    flowId: '1c6f1047-dcaf-48fe-af10-47dcaf08feaf',
    sandboxName: 'prod',
    imsOrgId: FILLED_ORG,
    reason: 'is success: only failures are re-triggered',
  },
  {
    file: 'alerts/data-ingestion-notification.json',
    kind: 'ignored',
    sandboxName: 'prod',
    imsOrgId: FILLED_ORG,
    reason: 'data ingestion notification (xdm:eventCode ing_load_failure) is not a flow run alert',
  },
  {
    file: 'alerts/internal-pipeline-failure.json',
    kind: 'rejected',
    runId: 'd9024c32-2174-4271-824c-322174627101',
    flowId: 'cf4fce79-8822-456d-8fce-798822556dc6',
    sandboxName: 'prod',
    imsOrgId: FILLED_ORG,
    errorCodes: ['CONNECTOR-2001-500', '133'],
    reason: "unsupported format: Flow Service's internal pipeline message",
  },
];

describe('normaliseAlert with the real payload fixtures', () => {
  it('has an expectation for every alert fixture', () => {
    // Prepare
    const covered = FIXTURE_CASES.map((entry) => entry.file).sort();

    // Act
    const files = listFixtures('alerts');

    // Assess
    expect(files).toEqual(covered);
  });

  it.each(FIXTURE_CASES)('reads $file as $kind', (expected) => {
    // Prepare
    const message = loadFixtureText(expected.file);

    // Act
    const result = normaliseAlert(message);

    // Assess
    expect(result.kind).toBe(expected.kind);
    if (result.kind === 'failure') {
      expect(result.alert).toMatchObject({
        runId: expected.runId,
        flowId: expected.flowId,
        sandboxName: expected.sandboxName,
        imsOrgId: expected.imsOrgId,
        errorCodes: expected.errorCodes,
        source: expected.source,
      });
      expect(result.alert.eventId).toBe(expected.eventId);
    } else {
      expect(result.reason).toContain(expected.reason);
      expect(result.ids.runId).toBe(expected.runId);
      expect(result.ids.flowId).toBe(expected.flowId);
      expect(result.ids.sandboxName).toBe(expected.sandboxName);
      expect(result.ids.imsOrgId).toBe(expected.imsOrgId);
      expect(result.ids.errorCodes).toEqual(expected.errorCodes);
    }
  });

  it.each(FIXTURE_CASES)('reads $file the same as a parsed object', ({ file }) => {
    // Prepare
    const text = loadFixtureText(file);

    // Act
    const fromObject = normaliseAlert(loadFixture(file));

    // Assess
    expect(fromObject).toEqual(normaliseAlert(text));
  });

  it('keeps the flow name and completion time of the 4.3 failure', () => {
    // Act
    const alert = failureOf(normaliseAlert(loadFixtureText('alerts/failure-run.json')));

    // Assess
    expect(alert.flowName).toBe('Dataflow - wx_medallia_export_combined.csv');
    expect(alert.completedAt).toBe(1693539869854);
  });

  it('leaves completedAt and flowName out when the alert has none', () => {
    // Act
    const alert = failureOf(normaliseAlert(loadFixtureText('alerts/failure-no-files.json')));

    // Assess
    expect(alert).not.toHaveProperty('completedAt');
    expect(alert).not.toHaveProperty('flowName');
    expect(alert).not.toHaveProperty('eventId');
  });

  it('reads the alert an SNS event fixture carries', () => {
    // Prepare
    const event = loadFixture<{ Records: { Sns: { Message: string } }[] }>('events/sns-event.json');

    // Act
    const alert = failureOf(normaliseAlert(event.Records[0]!.Sns.Message));

    // Assess
    expect(alert.runId).toBe(FAILURE_RUN.runId);
  });
});

describe('normaliseAlert envelopes', () => {
  it('keeps the outer source and the I/O Events id of an EventBridge event holding CloudEvents', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-eventbridge.json');
    envelope.detail = loadFixture('alerts/failure-cloudevents.json');

    // Act
    const alert = failureOf(normaliseAlert(JSON.stringify(envelope)));

    // Assess
    expect(alert.source).toBe('eventbridge');
    expect(alert.eventId).toBe('8927ce83-2f10-4df9-9eb4-09c381bc4778');
    expect(alert.runId).toBe(FAILURE_RUN.runId);
  });

  it('reads CloudEvents data sent as a JSON string', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-cloudevents.json');
    envelope.data = JSON.stringify(envelope.data);

    // Act
    const alert = failureOf(normaliseAlert(JSON.stringify(envelope)));

    // Assess
    expect(alert.source).toBe('cloudevents');
    expect(alert.flowId).toBe(FAILURE_RUN.flowId);
  });

  it('rejects CloudEvents data that is a string but not JSON', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-cloudevents.json');
    envelope.data = '{"id": "f0b809c5';

    // Act
    const reason = reasonOf(normaliseAlert(JSON.stringify(envelope)), 'rejected');

    // Assess
    expect(reason).toBe('cloudevents data is a string that is not JSON');
  });

  it('rejects CloudEvents data that is not an object', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-cloudevents.json');
    envelope.data = null;

    // Act
    const reason = reasonOf(normaliseAlert(envelope), 'rejected');

    // Assess
    expect(reason).toBe('cloudevents data is null, not a JSON object');
  });

  it('takes the CloudEvents id when there is no eventid or event_id', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-cloudevents.json');
    delete envelope.eventid;
    delete envelope.event_id;

    // Act
    const alert = failureOf(normaliseAlert(envelope));

    // Assess
    expect(alert.eventId).toBe('ca67f792-f56e-45f3-ba7c-7c97302bcc00');
  });

  it('prefers the eventId option over the ids in the body', () => {
    // Prepare
    const message = loadFixtureText('alerts/failure-cloudevents.json');

    // Act
    const alert = failureOf(normaliseAlert(message, { eventId: 'b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f' }));

    // Assess
    expect(alert.eventId).toBe('b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f');
    expect(alert.source).toBe('cloudevents');
  });

  it('sets the eventId option on a bare run object', () => {
    // Act
    const alert = failureOf(
      normaliseAlert(failurePayload(), { eventId: 'b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f' }),
    );

    // Assess
    expect(alert.eventId).toBe('b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f');
    expect(alert.source).toBe('run');
  });

  it('ignores an eventId option that is not a safe id', () => {
    // Prepare
    const message = loadFixtureText('alerts/failure-io-legacy.json');

    // Act
    const alert = failureOf(normaliseAlert(message, { eventId: 'not an id\r\n' }));

    // Assess
    expect(alert.eventId).toBe('5f1a7c2e-3b9d-4e61-8a0f-2c4d6e8b9a17');
  });

  it('unwraps three envelopes', () => {
    // Prepare
    const legacy = { event_id: '11111111-2222-4333-8444-555555555555', event: failurePayload() };
    const cloudEvent = { specversion: '1.0', id: 'ce-1', data: legacy };
    const eventBridge = {
      'detail-type': 'Platform notifications:source_flow_run_error',
      id: 'eb-1',
      detail: cloudEvent,
    };

    // Act
    const alert = failureOf(normaliseAlert(JSON.stringify(eventBridge)));

    // Assess
    expect(alert.source).toBe('eventbridge');
    expect(alert.eventId).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('rejects envelopes nested four deep', () => {
    // Prepare
    const legacy = { event_id: 'e-1', event: failurePayload() };
    const inner = { specversion: '1.0', id: 'ce-2', data: legacy };
    const outer = { specversion: '1.0', id: 'ce-1', data: inner };
    const eventBridge = { source: 'aws.partner/developer.adobe.com/x', id: 'eb-1', detail: outer };

    // Act
    const reason = reasonOf(normaliseAlert(eventBridge), 'rejected');

    // Assess
    expect(reason).toBe('envelopes nest deeper than 3 levels');
  });

  it('recognises EventBridge by an aws.partner/ source without detail-type', () => {
    // Prepare
    const envelope = loadFixture<Json>('alerts/failure-eventbridge.json');
    delete envelope['detail-type'];

    // Act
    const alert = failureOf(normaliseAlert(envelope));

    // Assess
    expect(alert.source).toBe('eventbridge');
  });

  it('takes the org from the envelope when the payload has none', () => {
    // Prepare
    const payload = failurePayload();
    delete payload.imsOrgId;
    delete payload.header;
    const envelope = { event_id: 'e-1', imsOrgId: 'ABCDEF0123456789ABCDEF01@AdobeOrg', event: payload };

    // Act
    const alert = failureOf(normaliseAlert(envelope));

    // Assess
    expect(alert.imsOrgId).toBe('ABCDEF0123456789ABCDEF01@AdobeOrg');
  });

  it('rejects the internal pipeline format sent as one object', () => {
    // Prepare
    const [message] = loadFixture<Json[]>('alerts/internal-pipeline-failure.json');

    // Act
    const result = normaliseAlert(message);

    // Assess
    expect(reasonOf(result, 'rejected')).toContain('unsupported format');
    expect(result.kind === 'rejected' && result.ids.runId).toBe('d9024c32-2174-4271-824c-322174627101');
  });
});

describe('normaliseAlert statuses and fields', () => {
  it('lower-cases the sandbox name', () => {
    // Prepare
    const payload = failurePayload();
    payload.sandboxName = 'Prod-EU';

    // Act
    const alert = failureOf(normaliseAlert(JSON.stringify(payload)));

    // Assess
    expect(alert.sandboxName).toBe('prod-eu');
  });

  it('reads a capitalised Failed status as a failure', () => {
    // Prepare
    const payload = failurePayload();
    payload.metrics.statusSummary.status = 'Failed';

    // Act
    const result = normaliseAlert(payload);

    // Assess
    expect(result.kind).toBe('failure');
  });

  it('ignores a partially ingested success and keeps its error codes', () => {
    // Prepare
    const payload = loadFixture<Json>('alerts/failure-partial-codes.json');
    payload.metrics.statusSummary.status = 'success';

    // Act
    const result = normaliseAlert(payload);

    // Assess
    expect(reasonOf(result, 'ignored')).toBe(
      'run 9830305a-985f-47d0-b030-5a985fd7d004 is success: only failures are re-triggered',
    );
    expect(result.kind === 'ignored' && result.ids.errorCodes).toEqual([
      'CONNECTOR-2001-500',
      'INGEST-1212-400',
      'MAPPER-3700-400',
    ]);
  });

  it('ignores an unknown status and quotes it only capped', () => {
    // Prepare
    const payload = failurePayload();
    payload.metrics.statusSummary.status = `cancelled ${'z'.repeat(500)}`;

    // Act
    const reason = reasonOf(normaliseAlert(payload), 'ignored');

    // Assess
    expect(reason).toContain(`run ${FAILURE_RUN.runId} is "cancelled zzz`);
    expect(reason.length).toBeLessThan(200);
  });

  it('takes the org from header._adobeio when the payload has none', () => {
    // Prepare
    const payload = failurePayload();
    delete payload.imsOrgId;
    payload.header._adobeio.imsOrgId = 'ABCDEF0123456789ABCDEF01@AdobeOrg';

    // Act
    const alert = failureOf(normaliseAlert(payload));

    // Assess
    expect(alert.imsOrgId).toBe('ABCDEF0123456789ABCDEF01@AdobeOrg');
  });

  it("prefers the payload's org over the header's", () => {
    // Prepare
    const payload = failurePayload();
    payload.header._adobeio.imsOrgId = 'ABCDEF0123456789ABCDEF01@AdobeOrg';

    // Act
    const alert = failureOf(normaliseAlert(payload));

    // Assess
    expect(alert.imsOrgId).toBe(FAILURE_ORG);
  });

  it('reads completedAtUTC given as a numeric string and drops an unreadable one', () => {
    // Prepare
    const asString = failurePayload();
    asString.metrics.durationSummary.completedAtUTC = '1693539869854';
    const unreadable = failurePayload();
    unreadable.metrics.durationSummary.completedAtUTC = 'yesterday';

    // Act
    const fromString = failureOf(normaliseAlert(asString));
    const fromUnreadable = failureOf(normaliseAlert(unreadable));

    // Assess
    expect(fromString.completedAt).toBe(1693539869854);
    expect(fromUnreadable.completedAt).toBeUndefined();
  });

  it('cuts a very long flow name', () => {
    // Prepare
    const payload = failurePayload();
    payload.flowName = 'n'.repeat(5000);

    // Act
    const alert = failureOf(normaliseAlert(payload));

    // Assess
    expect(alert.flowName).toHaveLength(257);
    expect(alert.flowName?.endsWith('…')).toBe(true);
  });
});

describe('normaliseAlert rejections', () => {
  it.each(['', '   ', 'hello', '{"id": "f0b809c5', "{'id': 1}", '<xml/>'])(
    'rejects %j as not JSON',
    (message) => {
      // Act
      const result = normaliseAlert(message);

      // Assess
      expect(result).toEqual({ kind: 'rejected', reason: 'message is not JSON', ids: {} });
    },
  );

  it('rejects a message one byte over the SNS limit', () => {
    // Prepare
    const message = 'x'.repeat(MAX_ALERT_BYTES + 1);

    // Act
    const reason = reasonOf(normaliseAlert(message), 'rejected');

    // Assess
    expect(reason).toBe('message is 262145 bytes; the limit is 262144');
  });

  it('rejects a message whose UTF-8 bytes exceed the limit although its characters do not', () => {
    // Prepare: 'é' is 2 bytes, '😀' 4 (a surrogate pair, 2 UTF-16 units)
    const message = `${'é'.repeat(100)}😀`;

    // Act
    const reason = reasonOf(normaliseAlert(message, { maxBytes: 150 }), 'rejected');

    // Assess
    expect(message.length).toBeLessThan(150);
    expect(reason).toBe('message is 204 bytes; the limit is 150');
  });

  it('reads a message of exactly the limit', () => {
    // Prepare
    const text = loadFixtureText('alerts/failure-run.json');
    const message = text + ' '.repeat(MAX_ALERT_BYTES - Buffer.byteLength(text));

    // Act
    const result = normaliseAlert(message);

    // Assess
    expect(Buffer.byteLength(message)).toBe(MAX_ALERT_BYTES);
    expect(result.kind).toBe('failure');
  });

  it('rejects the 4.3 failure under a smaller maxBytes', () => {
    // Prepare
    const message = loadFixtureText('alerts/failure-run.json');

    // Act
    const reason = reasonOf(normaliseAlert(message, { maxBytes: 1000 }), 'rejected');

    // Assess
    expect(reason).toBe(`message is ${Buffer.byteLength(message)} bytes; the limit is 1000`);
  });

  it.each([
    ['null', 'message is null, not a JSON object'],
    ['42', 'message is a number, not a JSON object'],
    ['"failed"', 'message is a string, not a JSON object'],
    ['true', 'message is a boolean, not a JSON object'],
    ['[1, 2]', 'message is an array, not a JSON object'],
  ])('rejects the JSON %s as not an object', (message, expected) => {
    // Act
    const reason = reasonOf(normaliseAlert(message), 'rejected');

    // Assess
    expect(reason).toBe(expected);
  });

  it.each([
    [undefined, 'message is undefined, not a JSON object'],
    [null, 'message is null, not a JSON object'],
    [7, 'message is a number, not a JSON object'],
    [[failurePayload()], 'message is an array, not a JSON object'],
  ])('rejects the input %p as not an object', (input, expected) => {
    // Act
    const reason = reasonOf(normaliseAlert(input), 'rejected');

    // Assess
    expect(reason).toBe(expected);
  });

  const FIELD_CASES: readonly [string, (payload: Json) => void, string][] = [
    ['a missing id', (p) => delete p.id, 'id is missing (expected the run id)'],
    ['a numeric id', (p) => (p.id = 42), 'id must be a string id (got a number)'],
    [
      'an id that climbs paths',
      (p) => (p.id = '../../flows'),
      `id must be a string id of letters, digits, '.', '_', ':' and '-' (got "../../flows")`,
    ],
    ['an empty id', (p) => (p.id = ''), 'id must be a string id of letters'],
    ['a missing flowId', (p) => delete p.flowId, 'flowId is missing (expected the dataflow id)'],
    ['a null flowId', (p) => (p.flowId = null), 'flowId is missing (expected the dataflow id)'],
    ['an object flowId', (p) => (p.flowId = { id: 'x' }), 'flowId must be a string id (got an object)'],
    ['a flowId with a slash', (p) => (p.flowId = 'c0cb4b5b/runs'), 'flowId must be a string id of letters'],
    [
      'a missing sandboxName',
      (p) => delete p.sandboxName,
      'sandboxName is missing (expected the sandbox name',
    ],
    [
      'an empty sandboxName',
      (p) => (p.sandboxName = ''),
      'sandboxName must be a non-empty string (got an empty string)',
    ],
    [
      'an array sandboxName',
      (p) => (p.sandboxName = ['prod']),
      'sandboxName must be a non-empty string (got an array)',
    ],
    [
      'a sandboxName that would split a header',
      (p) => (p.sandboxName = 'prod\r\nx-evil: 1'),
      `sandboxName must be a sandbox name of letters, digits, '-', '_' and '.' (got "prod\\r\\nx-evil: 1")`,
    ],
    [
      'no imsOrgId anywhere',
      (p) => {
        delete p.imsOrgId;
        delete p.header;
      },
      'imsOrgId is missing (expected ...@AdobeOrg)',
    ],
    ['a numeric imsOrgId', (p) => (p.imsOrgId = 12), 'imsOrgId must be a string ...@AdobeOrg (got a number)'],
    [
      'an imsOrgId that is not an AdobeOrg',
      (p) => (p.imsOrgId = 'acp_foundation_connectors@AdobeID'),
      'imsOrgId must look like ...@AdobeOrg (got "acp_foundation_connectors@AdobeID")',
    ],
    [
      'a placeholder imsOrgId',
      (p) => (p.imsOrgId = '{IMS_ORG}'),
      'imsOrgId must look like ...@AdobeOrg (got "{IMS_ORG}")',
    ],
    [
      'a missing status',
      (p) => delete p.metrics.statusSummary.status,
      'metrics.statusSummary.status is missing (expected failed, success or inProgress)',
    ],
    [
      'no metrics at all',
      (p) => delete p.metrics,
      'metrics.statusSummary.status is missing (expected failed, success or inProgress)',
    ],
    [
      'a numeric status',
      (p) => (p.metrics.statusSummary.status = 3),
      'metrics.statusSummary.status must be a non-empty string (got a number)',
    ],
  ];

  it.each(FIELD_CASES)('rejects a failure with %s', (_name, mutate, expected) => {
    // Prepare
    const payload = failurePayload();
    mutate(payload);

    // Act
    const reason = reasonOf(normaliseAlert(JSON.stringify(payload)), 'rejected');

    // Assess
    expect(reason).toContain(expected);
  });

  it('rejects a failure naming every bad field and keeps the ids it could read', () => {
    // Prepare
    const payload = failurePayload();
    delete payload.flowId;
    payload.sandboxName = 7;

    // Act
    const result = normaliseAlert(payload);

    // Assess
    const reason = reasonOf(result, 'rejected');
    expect(reason).toBe(
      'flowId is missing (expected the dataflow id); sandboxName must be a non-empty string (got a number)',
    );
    expect(result.kind === 'rejected' && result.ids).toEqual({
      runId: FAILURE_RUN.runId,
      imsOrgId: FAILURE_ORG,
      flowName: 'Dataflow - wx_medallia_export_combined.csv',
      errorCodes: FAILURE_RUN.errorCodes,
    });
  });

  it('rejects an unsafe id without echoing more than 64 characters of it', () => {
    // Prepare
    const payload = failurePayload();
    payload.id = `../${'a'.repeat(10_000)}`;

    // Act
    const result = normaliseAlert(payload);

    // Assess
    const reason = reasonOf(result, 'rejected');
    expect(reason).toContain(`(got "../${'a'.repeat(61)}…")`);
    expect(reason.length).toBeLessThan(200);
    expect(result.kind === 'rejected' && result.ids.runId).toBeUndefined();
  });

  it('rejects an object of unknown fields without quoting their values', () => {
    // Prepare
    const message = JSON.stringify({ token: 'SECRET-VALUE-123', note: 'hello' });

    // Act
    const reason = reasonOf(normaliseAlert(message), 'rejected');

    // Assess
    expect(reason).toBe(
      'not a flow run alert: expected a run object with id, flowId and metrics.statusSummary.status',
    );
    expect(reason).not.toContain('SECRET');
  });

  it('rejects an input whose reading throws, with the error name only', () => {
    // Prepare
    const payload = failurePayload();
    Object.defineProperty(payload, 'flowId', {
      enumerable: true,
      get() {
        throw new TypeError('SECRET detail');
      },
    });

    // Act
    const result = normaliseAlert(payload);

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason: 'could not read the message (TypeError)', ids: {} });
  });
});

const KEYS = [
  'id',
  'flowId',
  'sandboxName',
  'imsOrgId',
  'metrics',
  'statusSummary',
  'status',
  'errors',
  'code',
  'activities',
  'data',
  'specversion',
  'detail',
  'detail-type',
  'source',
  'event',
  'event_id',
  'eventid',
  'messages',
  'header',
  '_adobeio',
  'flowRunId',
  'name',
  'xdm:eventCode',
  'flowName',
  'durationSummary',
  'completedAtUTC',
  '__proto__',
  'constructor',
];

const STRINGS = [
  'failed',
  'Failed',
  'success',
  'inProgress',
  'FIRING',
  'INACTIVE',
  'sources_flow_run_delay_x',
  '1.0',
  'aws.partner/developer.adobe.com',
  '../../flows',
  'prod',
  'DEV',
  '4353388057AC8D357F000101@AdobeOrg',
  'f0b809c5-603d-4d6e-9600-977cb2e277b4',
  '',
  ' ',
  '{"id":"x","flowId":"y"}',
  '[{"messages":[]}]',
  '\u0000\r\n',
  '😀é',
  'x'.repeat(300),
];

describe('normaliseAlert under fuzzing', () => {
  const random = seededRandom(0x0a1e27);
  const int = (n: number) => Math.floor(random() * n);
  const choose = <T>(items: readonly T[]): T => items[int(items.length)] as T;

  function randomValue(depth: number): unknown {
    const roll = int(depth > 4 ? 5 : 9);
    switch (roll) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return choose([0, -1, 1693539869854, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2]);
      case 3:
      case 4:
        return choose(STRINGS);
      case 5:
      case 6: {
        const record: Json = {};
        for (let i = int(6); i > 0; i--) record[choose(KEYS)] = randomValue(depth + 1);
        return record;
      }
      default:
        return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    }
  }

  function mutateText(text: string): string {
    const at = int(text.length + 1);
    switch (int(5)) {
      case 0:
        return text.slice(0, at);
      case 1:
        return text.slice(0, at) + text.slice(at + 1 + int(40));
      case 2:
        return (
          text.slice(0, at) + choose(['{', '}', '[', ']', '"', ',', ':', '\\', 'null', '😀']) + text.slice(at)
        );
      case 3:
        return text.slice(at) + text.slice(0, at);
      default:
        return text.replace(/"[^"]*"/, JSON.stringify(choose(STRINGS)));
    }
  }

  /** Replaces or deletes one field somewhere in the object. */
  function mutateObject(value: unknown): unknown {
    const records: Json[] = [];
    const walk = (node: unknown) => {
      if (node && typeof node === 'object') {
        if (!Array.isArray(node)) records.push(node as Json);
        for (const child of Object.values(node)) walk(child);
      }
    };
    walk(value);
    const target = records.length > 0 ? choose(records) : undefined;
    if (target) {
      const key = random() < 0.7 ? choose(Object.keys(target).concat(KEYS)) : choose(KEYS);
      if (random() < 0.3) delete target[key];
      else target[key] = randomValue(2);
    }
    return value;
  }

  function inputs(count: number): unknown[] {
    const files = listFixtures('alerts');
    const cases: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const file = choose(files);
      switch (i % 4) {
        case 0:
          cases.push(mutateText(loadFixtureText(file)));
          break;
        case 1:
          cases.push(mutateObject(loadFixture(file)));
          break;
        case 2:
          cases.push(JSON.stringify(mutateObject(loadFixture(file))));
          break;
        default:
          cases.push(random() < 0.5 ? randomValue(0) : JSON.stringify(randomValue(0)));
      }
    }
    return cases;
  }

  it('never throws and always returns a failure, an ignored or a rejected alert', () => {
    // Prepare
    const cases = inputs(800);
    const counts = { failure: 0, ignored: 0, rejected: 0 };

    // Act
    const results = cases.map((input) => normaliseAlert(input));

    // Assess
    for (const result of results) {
      counts[result.kind] += 1;
      if (result.kind === 'failure') {
        expect(result.alert.runId).toMatch(SAFE_ID);
        expect(result.alert.flowId).toMatch(SAFE_ID);
        expect(result.alert.sandboxName).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
        expect(result.alert.imsOrgId).toMatch(/^[A-Za-z0-9]+@AdobeOrg$/);
        expect(Array.isArray(result.alert.errorCodes)).toBe(true);
      } else {
        expect(['ignored', 'rejected']).toContain(result.kind);
        expect(result.reason.length).toBeGreaterThan(0);
        expect(result.reason.length).toBeLessThan(600);
      }
    }
    expect(counts.failure + counts.ignored + counts.rejected).toBe(800);
    expect(counts.failure).toBeGreaterThan(20);
    expect(counts.ignored).toBeGreaterThan(20);
    expect(counts.rejected).toBeGreaterThan(20);
  });
});
