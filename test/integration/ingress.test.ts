/**
 * The webhook path with real parts: a delivery signed like I/O Events (keys served on loopback)
 * handed to the real ingress bundle as a function URL event, published to the alerts topic in
 * moto, then delivered to the real retrier bundle, which re-triggers the run on the emulator.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { OutcomeMessage } from '../../contracts/outcome';
import { alertFor, inCloudEvents } from '../../emulator/alerts';
import type { LambdaHandler } from '../../sandbox/local-lambda';
import { loadHandler } from '../../sandbox/local-lambda';
import {
  functionUrlEvent,
  type IoEventsSigner,
  ingressEnvironment,
  invokeIngress,
  runWebhookDemo,
  startIoEventsSigner,
} from '../../sandbox/webhook-demo';
import { bundlePath, captureOutput, jestLoader, startWorld, type World } from '../support/local-world';

const CLIENT_ID = 'c5a34355b7f5491f8277b8dd63f0bfa3';

let world: World;
let signer: IoEventsSigner;
let ingress: LambdaHandler;
let stdout: ReturnType<typeof captureOutput>;
let stderr: ReturnType<typeof captureStderr>;

/** Captures what Powertools writes to stderr (warnings, errors) while the file runs. */
function captureStderr(): { lines: () => string[]; restore: () => void } {
  const original = process.stderr.write.bind(process.stderr);
  const captured: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    captured.push(...text.split('\n').filter((line) => line.trim().length > 0));
    const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stderr.write;
  return {
    lines: () => [...captured],
    restore: () => {
      process.stderr.write = original;
    },
  };
}

beforeAll(async () => {
  stdout = captureOutput();
  stderr = captureStderr();
  world = await startWorld();
  signer = await startIoEventsSigner();
  ingress = loadHandler(
    bundlePath('ingress'),
    ingressEnvironment(world.resources, { clientIds: [CLIENT_ID], keyOrigin: signer.keyOrigin }),
    jestLoader,
  );
});

afterAll(async () => {
  stdout.restore();
  stderr.restore();
  await signer.close();
  await world.close();
});

/** A failed run on the emulator and its failure alert as a signed single delivery. */
function signedFailure(eventId = randomUUID()) {
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);
  const body = JSON.stringify(inCloudEvents(alert, { eventId, recipientClientId: CLIENT_ID }));
  const headers = { ...signer.signatureHeaders(body), 'x-adobe-event-id': eventId };
  return { flow, run, body, headers, eventId };
}

function byRun(outcomes: OutcomeMessage[], runId: string): OutcomeMessage | undefined {
  return outcomes.find((outcome) => outcome.runId === runId);
}

it('forwards a signed failure alert that the retrier re-triggers', async () => {
  // Prepare
  const { run, body, headers } = signedFailure();

  // Act
  const answer = await invokeIngress(ingress, functionUrlEvent({ body, headers }));
  const delivery = await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(answer.status).toBe(200);
  expect(answer.publishedMessageIds).toHaveLength(1);
  expect(delivery).toMatchObject({ alerts: 1, sentToOnFailure: 0 });
  expect(byRun(outcomes, run.id)).toMatchObject({ outcome: 'retriggered', attempt: 1 });
  expect(world.emulator.state.lineage(byRun(outcomes, run.id)?.newRunId ?? '').retriggeredFrom).toBe(run.id);
});

it('publishes nothing for a redelivery of the same event, and records the event with a TTL', async () => {
  // Prepare
  const { body, headers, eventId } = signedFailure();
  await invokeIngress(ingress, functionUrlEvent({ body, headers }));
  await world.deliver();
  await world.outcomes();

  // Act
  const again = await invokeIngress(
    ingress,
    functionUrlEvent({ body, headers: { ...headers, 'x-adobe-retry-count': '1' } }),
  );
  const delivery = await world.deliver();
  const item = await new DynamoDBClient({}).send(
    new GetItemCommand({
      TableName: world.resources.ledgerTableName,
      Key: { pk: { S: `EVENT#${eventId}` } },
    }),
  );

  // Assess
  expect(again.status).toBe(200);
  expect(JSON.parse(again.body)).toMatchObject({ published: 0, duplicates: 1 });
  expect(delivery.alerts).toBe(0);
  expect(Number(item.Item?.expiresAt?.N) - Date.now() / 1000).toBeGreaterThan(2.9 * 86_400);
});

it('refuses a forged delivery and one addressed to another client, publishing nothing', async () => {
  // Prepare
  const { body, headers } = signedFailure();
  const otherClient = JSON.stringify({
    ...JSON.parse(body),
    recipientclientid: 'someone-else',
    recipient_client_id: 'someone-else',
  });

  // Act
  const forged = await invokeIngress(
    ingress,
    functionUrlEvent({
      body,
      headers: {
        ...headers,
        'x-adobe-digital-signature-1': signer.sign('{}'),
        'x-adobe-digital-signature-2': signer.sign('{}', 1),
      },
    }),
  );
  const misaddressed = await invokeIngress(
    ingress,
    functionUrlEvent({ body: otherClient, headers: signer.signatureHeaders(otherClient) }),
  );
  const unsigned = await invokeIngress(ingress, functionUrlEvent({ body }));
  const delivery = await world.deliver();

  // Assess
  expect([forged.status, misaddressed.status, unsigned.status]).toEqual([401, 401, 401]);
  expect(delivery.alerts).toBe(0);
});

it('forwards each failure of a batch delivery, and drops the start alert', async () => {
  // Prepare
  const first = signedFailure();
  const second = signedFailure();
  const flow = world.addFlow();
  const started = world.emulator.state.addRun({ flowId: flow.id, status: 'inProgress' });
  const startAlert = alertFor(started, flow);
  const batch = [
    JSON.parse(first.body),
    inCloudEvents(startAlert, { recipientClientId: CLIENT_ID }),
    JSON.parse(second.body),
  ];
  const body = JSON.stringify(batch);

  // Act
  const answer = await invokeIngress(
    ingress,
    functionUrlEvent({ body, headers: signer.signatureHeaders(body) }),
  );
  await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ received: 3, published: 2, ignored: 1 });
  expect(byRun(outcomes, first.run.id)?.outcome).toBe('retriggered');
  expect(byRun(outcomes, second.run.id)?.outcome).toBe('retriggered');
  expect(byRun(outcomes, started.id)).toBeUndefined();
});

it('answers the challenge handshake', async () => {
  // Act
  const answer = await invokeIngress(
    ingress,
    functionUrlEvent({ method: 'GET', query: { challenge: 'c-123' } }),
  );

  // Assess
  expect(answer).toEqual({ status: 200, body: 'c-123', publishedMessageIds: [] });
});

it('runs the sandbox’s webhook demo end to end', async () => {
  // Prepare
  const flow = world.addFlow();
  const { run, alert } = world.failedRun(flow);

  // Act
  const demo = await runWebhookDemo({
    bundleFile: bundlePath('ingress'),
    resources: world.resources,
    alert,
    loader: jestLoader,
  });
  await world.deliver();
  const outcomes = await world.outcomes();

  // Assess
  expect(demo.challenge).toEqual({ status: 200, echoed: true });
  expect(demo.delivery.status).toBe(200);
  expect(demo.delivery.publishedMessageIds).toHaveLength(1);
  expect(demo.redelivery).toMatchObject({ status: 200, publishedMessageIds: [] });
  expect(demo.forged.status).toBe(401);
  expect(byRun(outcomes, run.id)).toMatchObject({ outcome: 'retriggered' });
});

it('logs one line per request without signatures, key paths or bodies', () => {
  // Prepare
  const lines = [...stdout.lines(), ...stderr.lines()].filter((line) => line.includes('"webhook request'));

  // Assess
  expect(lines.length).toBeGreaterThan(8);
  expect(lines.some((line) => line.includes('"outcome":"unauthorized"'))).toBe(true);
  for (const line of lines) {
    // No signature (long base64), key path, recipient or payload content.
    expect(line).not.toMatch(/[A-Za-z0-9+/]{100,}|pub-key-|recipientclientid|CONNECTOR-1001-500/i);
  }
});
