import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createIoEventsKeys } from '../../../lambda/adapters/io-events-keys';
import { headerLookup } from '../../../lambda/core/signature';
import {
  createWebhook,
  MAX_BODY_BYTES,
  requestFromFunctionUrl,
  type WebhookRequest,
} from '../../../lambda/ingress/webhook';
import { functionUrlEvent, type IoEventsSigner, startIoEventsSigner } from '../../../sandbox/webhook-demo';
import { manualClock } from '../../support/fakes';
import { loadFixture } from '../../support/fixtures';
import { memoryEventLedger, recordingAlertsTopic } from './fakes';

const CLIENT_ID = 'c5a34355b7f5491f8277b8dd63f0bfa3';
const OTHER_CLIENT_ID = '0badc0de0badc0de0badc0de0badc0de';

type Json = Record<string, unknown>;

let signer: IoEventsSigner;

beforeAll(async () => {
  signer = await startIoEventsSigner();
});

afterAll(async () => {
  await signer.close();
});

afterEach(() => {
  signer.setFault(undefined);
});

/** A webhook with real keys from the loopback key server, and recording fakes. */
function setup(options: { clientIds?: string[] } = {}) {
  const clock = manualClock();
  const alerts = recordingAlertsTopic();
  const events = memoryEventLedger();
  const webhook = createWebhook({
    keys: createIoEventsKeys({ origin: signer.keyOrigin, timeoutMs: 500 }),
    alerts,
    events,
    clientIds: options.clientIds ?? [CLIENT_ID],
    clock,
  });
  return { webhook, alerts, events, clock };
}

/** A CloudEvents failure event (the fixture) with a fresh event id, addressed to `recipient`. */
function failureEvent(recipient = CLIENT_ID, eventId = randomUUID()): Json {
  const event = loadFixture<Json>('alerts/failure-cloudevents.json');
  return {
    ...event,
    eventid: eventId,
    event_id: eventId,
    recipientclientid: recipient,
    recipient_client_id: recipient,
  };
}

/** Wraps an AEP payload fixture in a CloudEvents envelope addressed to us. */
function eventAround(fixture: string, eventId = randomUUID()): Json {
  return { ...failureEvent(CLIENT_ID, eventId), data: loadFixture<Json>(fixture) };
}

/** A POST signed with both keys, as I/O Events sends it. */
function signedPost(body: string, headers: Record<string, string> = {}): WebhookRequest {
  return requestFromFunctionUrl(
    functionUrlEvent({ body, headers: { ...signer.signatureHeaders(body), ...headers } }),
  );
}

function post(body: string, headers: Record<string, string>, base64 = false): WebhookRequest {
  return requestFromFunctionUrl(functionUrlEvent({ body, headers, base64 }));
}

const parse = (text: string) => JSON.parse(text) as Json;

describe('webhook challenge', () => {
  it('answers GET ?challenge= with the challenge as text/plain', async () => {
    // Prepare
    const { webhook } = setup();
    const request = requestFromFunctionUrl(
      functionUrlEvent({ method: 'GET', query: { challenge: '8ec8d794-e0ab-42df-9017-e3dada8e84f7' } }),
    );

    // Act
    const result = await webhook.handle(request);

    // Assess
    expect(result.outcome).toBe('challenge');
    expect(result.response).toEqual({
      statusCode: 200,
      headers: expect.objectContaining({ 'content-type': 'text/plain' }),
      body: '8ec8d794-e0ab-42df-9017-e3dada8e84f7',
    });
  });

  it('answers the challenge as JSON when JSON is asked for', async () => {
    // Prepare
    const { webhook } = setup();
    const request = requestFromFunctionUrl(
      functionUrlEvent({
        method: 'GET',
        query: { challenge: 'abc-123' },
        headers: { Accept: 'application/json' },
      }),
    );

    // Act
    const result = await webhook.handle(request);

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(result.response.headers['content-type']).toBe('application/json');
    expect(parse(result.response.body)).toEqual({ challenge: 'abc-123' });
  });

  it.each([
    ['no challenge', {}],
    ['markup', { challenge: '<script>alert(1)</script>' }],
    ['a long value', { challenge: 'a'.repeat(129) }],
  ])('rejects a GET with %s with 400', async (_name, query) => {
    // Prepare
    const { webhook } = setup();

    // Act
    const result = await webhook.handle(requestFromFunctionUrl(functionUrlEvent({ method: 'GET', query })));

    // Assess
    expect(result.response.statusCode).toBe(400);
    expect(result.response.body).not.toContain('script');
  });

  it('rejects other methods with 405', async () => {
    // Prepare
    const { webhook } = setup();

    // Act
    const result = await webhook.handle(
      requestFromFunctionUrl(functionUrlEvent({ method: 'PUT', body: '{}' })),
    );

    // Assess
    expect(result.response.statusCode).toBe(405);
    expect(result.response.headers.allow).toBe('GET, POST');
  });
});

describe('webhook deliveries', () => {
  it('publishes a signed failure event with its event id, byte for byte', async () => {
    // Prepare
    const { webhook, alerts, events } = setup();
    const body = JSON.stringify(failureEvent());
    const eventId = 'd0c2e5a4-1111-4222-8333-944455556666';

    // Act
    const result = await webhook.handle(signedPost(body, { 'x-adobe-event-id': eventId }));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(parse(result.response.body)).toEqual({
      received: 1,
      published: 1,
      duplicates: 0,
      ignored: 0,
      unforwardable: 0,
      messageIds: ['message-1'],
    });
    expect(alerts.published).toEqual([
      { message: body, attributes: { ioEventId: eventId, origin: 'webhook' }, messageId: 'message-1' },
    ]);
    expect(result.events).toEqual([
      expect.objectContaining({
        eventId,
        kind: 'failure',
        action: 'published',
        runId: 'f0b809c5-603d-4d6e-9600-977cb2e277b4',
      }),
    ]);
    expect(events.events.get(eventId)).toEqual(expect.objectContaining({ messageId: 'message-1' }));
  });

  it('verifies a base64-encoded body on its decoded bytes', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());

    // Act
    const result = await webhook.handle(post(body, signer.signatureHeaders(body), true));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(alerts.published[0]?.message).toBe(body);
  });

  it('takes the event id from the body when the header is absent', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const event = failureEvent(CLIENT_ID, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');

    // Act
    await webhook.handle(signedPost(JSON.stringify(event)));

    // Assess
    expect(alerts.published[0]?.attributes.ioEventId).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  });

  it('accepts the deprecated recipient_client_id alone (legacy envelope)', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const event = { ...loadFixture<Json>('alerts/failure-io-legacy.json'), recipient_client_id: CLIENT_ID };

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(event)));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(alerts.published).toHaveLength(1);
    expect(alerts.published[0]?.attributes.ioEventId).toBe('5f1a7c2e-3b9d-4e61-8a0f-2c4d6e8b9a17');
  });

  it('accepts any of several configured client ids', async () => {
    // Prepare
    const { webhook, alerts } = setup({ clientIds: [OTHER_CLIENT_ID, CLIENT_ID] });

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(failureEvent())));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(alerts.published).toHaveLength(1);
  });

  it('publishes each failure of a batch delivery with its own event id and drops the rest', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const batch = [
      failureEvent(CLIENT_ID, '11111111-1111-4111-8111-111111111111'),
      eventAround('alerts/success-run.json', '22222222-2222-4222-8222-222222222222'),
      {
        ...failureEvent(CLIENT_ID, '33333333-3333-4333-8333-333333333333'),
        data: { ...loadFixture<Json>('alerts/failure-run.json'), id: 'run-two' },
      },
    ];
    const body = JSON.stringify(batch);

    // Act
    const result = await webhook.handle(signedPost(body, { 'x-adobe-event-id': 'batch-header-id' }));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(parse(result.response.body)).toMatchObject({ received: 3, published: 2, ignored: 1 });
    expect(alerts.published.map((entry) => entry.attributes.ioEventId)).toEqual([
      '11111111-1111-4111-8111-111111111111',
      '33333333-3333-4333-8333-333333333333',
    ]);
    expect(alerts.published.map((entry) => JSON.parse(entry.message))).toEqual([batch[0], batch[2]]);
  });

  it.each([
    ['start', 'alerts/start-run.json'],
    ['success', 'alerts/success-run.json'],
    ['delay', 'alerts/delay-alert.json'],
    ['error-rate', 'alerts/error-rate-alert.json'],
  ])('acknowledges a %s alert without forwarding it', async (_kind, fixture) => {
    // Prepare
    const { webhook, alerts } = setup();

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(eventAround(fixture))));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(result.events).toEqual([expect.objectContaining({ kind: 'ignored', action: 'ignored' })]);
    expect(alerts.published).toEqual([]);
  });

  it('forwards a signed event it cannot read, so the retrier reports it rejected', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const event = { ...failureEvent(), data: { something: 'else' } };

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(event)));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(result.events).toEqual([expect.objectContaining({ kind: 'rejected', action: 'published' })]);
    expect(alerts.published).toHaveLength(1);
  });

  it('publishes a compact alert in place of a failure event too large for SNS', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const event = failureEvent();
    const data = event.data as Json;
    data.activities = Array.from({ length: 300 }, (_, index) => ({
      id: `activity-${index}`,
      detail: 'x'.repeat(1000),
    }));
    const body = JSON.stringify(event);

    // Act
    const result = await webhook.handle(signedPost(body));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(alerts.bodies()).toEqual([
      expect.objectContaining({
        id: 'f0b809c5-603d-4d6e-9600-977cb2e277b4',
        flowId: data.flowId,
        sandboxName: 'dev',
        imsOrgId: '4353388057AC8D357F000101@AdobeOrg',
        metrics: expect.objectContaining({
          statusSummary: {
            status: 'failed',
            errors: expect.arrayContaining([{ code: 'CONNECTOR-1001-500' }]),
          },
        }),
        autoRetry: { builtBy: 'webhook' },
      }),
    ]);
  });

  it('publishes a redelivered event only once', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());
    const headers = { 'x-adobe-event-id': 'ffffffff-1111-4222-8333-444444444444' };

    // Act
    const first = await webhook.handle(signedPost(body, headers));
    const second = await webhook.handle(signedPost(body, { ...headers, 'x-adobe-retry-count': '1' }));

    // Assess
    expect(first.response.statusCode).toBe(200);
    expect(second.response.statusCode).toBe(200);
    expect(parse(second.response.body)).toMatchObject({ published: 0, duplicates: 1 });
    expect(alerts.published).toHaveLength(1);
  });

  it('recognises a redelivered event without any event id by its bytes', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const { eventid: _a, event_id: _b, ...event } = failureEvent();
    const body = JSON.stringify(event);

    // Act
    await webhook.handle(signedPost(body));
    const second = await webhook.handle(signedPost(body));

    // Assess
    expect(alerts.published).toHaveLength(1);
    expect(alerts.published[0]?.attributes).toEqual({ origin: 'webhook' });
    expect(second.events).toEqual([expect.objectContaining({ action: 'duplicate' })]);
  });

  it('answers 503 and records nothing when publishing fails, then publishes on redelivery', async () => {
    // Prepare
    const { webhook, alerts, events } = setup();
    const body = JSON.stringify(failureEvent());
    alerts.failNext();

    // Act
    const failed = await webhook.handle(signedPost(body));
    const recorded = events.events.size;
    const retried = await webhook.handle(signedPost(body));

    // Assess
    expect(failed.response.statusCode).toBe(503);
    expect(failed.outcome).toBe('unavailable');
    expect(failed.error).toMatchObject({ kind: 'transient' });
    expect(failed.events).toEqual([expect.objectContaining({ action: 'failed' })]);
    expect(recorded).toBe(0);
    expect(retried.response.statusCode).toBe(200);
    expect(alerts.published).toHaveLength(1);
  });

  it('answers 503 for a batch when one publish fails, and a redelivery publishes only the rest', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify([failureEvent(), failureEvent()]);
    alerts.failNext();

    // Act
    const failed = await webhook.handle(signedPost(body));
    const retried = await webhook.handle(signedPost(body));

    // Assess
    expect(failed.response.statusCode).toBe(503);
    expect(parse(retried.response.body)).toMatchObject({ published: 1, duplicates: 1 });
    expect(alerts.published).toHaveLength(2);
  });

  it('still answers 200 when the de-duplication record cannot be read or written', async () => {
    // Prepare
    const { webhook, alerts, events } = setup();
    events.failing.reads = 1;
    events.failing.writes = 1;

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(failureEvent())));

    // Assess
    expect(result.response.statusCode).toBe(200);
    expect(alerts.published).toHaveLength(1);
    expect(result.events[0]?.warning).toMatch(/could not be written/);
  });
});

describe('webhook refusals', () => {
  it('rejects an unsigned delivery with 401 and publishes nothing', async () => {
    // Prepare
    const { webhook, alerts } = setup();

    // Act
    const result = await webhook.handle(post(JSON.stringify(failureEvent()), {}));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toMatch(/^unsigned/);
    expect(alerts.published).toEqual([]);
  });

  it('rejects a forged signature with 401 and publishes nothing', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = sign('rsa-sha256', Buffer.from(body), forger).toString('base64');

    // Act
    const result = await webhook.handle(
      post(body, {
        'x-adobe-digital-signature-1': forged,
        'x-adobe-public-key1-path': signer.keyPaths[0],
        'x-adobe-digital-signature-2': forged,
        'x-adobe-public-key2-path': signer.keyPaths[1],
      }),
    );

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toMatch(/^invalid-signature/);
    expect(alerts.published).toEqual([]);
  });

  it('rejects a body changed after signing', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());
    const headers = signer.signatureHeaders(body);

    // Act
    const result = await webhook.handle(post(body.replace('"failed"', '"FAILED"'), headers));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(alerts.published).toEqual([]);
  });

  it('accepts a delivery when either of the two signatures is valid', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());

    // Act
    const onlySecond = await webhook.handle(
      post(body, {
        'x-adobe-digital-signature-1': signer.sign('another body'),
        'x-adobe-public-key1-path': signer.keyPaths[0],
        'X-Adobe-Digital-Signature2': signer.sign(body, 1),
        'X-Adobe-Public-Key2-Path': signer.keyPaths[1],
      }),
    );

    // Assess
    expect(onlySecond.response.statusCode).toBe(200);
    expect(alerts.published).toHaveLength(1);
  });

  it.each([
    ['a parent segment', '/prod/keys/../pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem'],
    ['a query', '?x=/prod/keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem'],
    ['another host', '//evil.example/prod/keys/pub-key-0f2d6a1e-5b8c-4c1e-9a37-2f0c8d1b6e4a.pem'],
  ])('rejects a key path with %s with 401, without fetching it', async (_name, path) => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());
    const before = signer.keyRequests().length;

    // Act
    const result = await webhook.handle(
      post(body, { 'x-adobe-digital-signature-1': signer.sign(body), 'x-adobe-public-key1-path': path }),
    );

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toMatch(/^bad-key-path/);
    expect(signer.keyRequests().length).toBe(before);
    expect(alerts.published).toEqual([]);
  });

  it('rejects a key the origin does not publish with 401', async () => {
    // Prepare
    const { webhook } = setup();
    const body = JSON.stringify(failureEvent());

    // Act
    const result = await webhook.handle(
      post(body, {
        'x-adobe-digital-signature-1': signer.sign(body),
        'x-adobe-public-key1-path': `/prod/keys/pub-key-${randomUUID()}.pem`,
      }),
    );

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toMatch(/^unknown-key/);
  });

  it('answers 503 when the key server fails, so I/O Events delivers again', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(failureEvent());
    const headers = {
      'x-adobe-digital-signature-1': signer.sign(body),
      'x-adobe-public-key1-path': `/prod/keys/pub-key-${randomUUID()}.pem`,
    };
    signer.setFault({ status: 500 });

    // Act
    const result = await webhook.handle(post(body, headers));

    // Assess
    expect(result.response.statusCode).toBe(503);
    expect(alerts.published).toEqual([]);
  });

  it('rejects an event addressed to another client id with 401', async () => {
    // Prepare
    const { webhook, alerts } = setup();

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(failureEvent(OTHER_CLIENT_ID))));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toBe('the event is addressed to another client id');
    expect(alerts.published).toEqual([]);
  });

  it('rejects an event whose deprecated recipient field names another client', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const event = { ...failureEvent(), recipient_client_id: OTHER_CLIENT_ID };

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(event)));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(alerts.published).toEqual([]);
  });

  it('rejects an event that names no recipient with 401', async () => {
    // Prepare
    const { webhook } = setup();
    const { recipientclientid: _a, recipient_client_id: _b, ...event } = failureEvent();

    // Act
    const result = await webhook.handle(signedPost(JSON.stringify(event)));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toBe('the event names no recipientclientid');
  });

  it('rejects a whole batch when one event is addressed to another client, publishing nothing', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify([failureEvent(), failureEvent(OTHER_CLIENT_ID)]);

    // Act
    const result = await webhook.handle(signedPost(body));

    // Assess
    expect(result.response.statusCode).toBe(401);
    expect(result.reason).toBe('event 2: the event is addressed to another client id');
    expect(alerts.published).toEqual([]);
  });

  it('rejects a body over 2 MiB with 413 before looking at signatures', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify({ ...failureEvent(), padding: 'x'.repeat(MAX_BODY_BYTES) });
    const before = signer.keyRequests().length;

    // Act
    const plain = await webhook.handle(post(body, signer.signatureHeaders(body)));
    const encoded = await webhook.handle(post(body, signer.signatureHeaders(body), true));

    // Assess
    expect(plain.response.statusCode).toBe(413);
    expect(encoded.response.statusCode).toBe(413);
    expect(signer.keyRequests().length).toBe(before);
    expect(alerts.published).toEqual([]);
  });

  it('rejects a batch of more than 50 events with 413', async () => {
    // Prepare
    const { webhook, alerts } = setup();
    const body = JSON.stringify(Array.from({ length: 51 }, () => failureEvent()));

    // Act
    const result = await webhook.handle(signedPost(body));

    // Assess
    expect(result.response.statusCode).toBe(413);
    expect(alerts.published).toEqual([]);
  });

  it.each([
    ['not JSON', 'hello'],
    ['an empty batch', '[]'],
  ])('rejects a signed body that is %s with 400', async (_name, body) => {
    // Prepare
    const { webhook } = setup();

    // Act
    const result = await webhook.handle(signedPost(body));

    // Assess
    expect(result.response.statusCode).toBe(400);
  });

  it('never echoes headers or the body in its answers', async () => {
    // Prepare
    const { webhook } = setup();
    const body = JSON.stringify(failureEvent(OTHER_CLIENT_ID));

    // Act
    const result = await webhook.handle(signedPost(body));

    // Assess
    expect(result.response.body).toBe('{"message":"unauthorized"}');
    expect(JSON.stringify(result)).not.toContain(OTHER_CLIENT_ID);
  });
});

describe('requestFromFunctionUrl', () => {
  it('reads method, headers (any case), query and body of a function URL event', () => {
    // Prepare
    const event = functionUrlEvent({ method: 'POST', body: '{}', headers: { 'X-Adobe-Event-Id': 'e1' } });

    // Act
    const request = requestFromFunctionUrl(event);

    // Assess
    expect(request.method).toBe('POST');
    expect(request.header('x-adobe-event-id')).toBe('e1');
    expect(request.body).toBe('{}');
    expect(request.isBase64Encoded).toBe(false);
    expect(headerLookup({})('x')).toBeUndefined();
  });
});
