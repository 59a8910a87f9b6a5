/**
 * `redrive` against the local sandbox, with the messages each dead-letter queue really holds: an
 * SNS notification (subscription DLQ), Lambda's on-failure record of an SNS event (on-failure
 * queue) and a delayed re-trigger (retry DLQ).
 */
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { EVENT_ID_ATTRIBUTE } from '../../contracts/environment';
import type { DelayedRetry } from '../../lambda/core/ports';
import { snsRecordOf } from '../../sandbox/delivery';
import { invokeAsync } from '../../sandbox/local-lambda';
import { type CliSandbox, startCliSandbox } from './support';

let sandbox: CliSandbox;

beforeAll(async () => {
  sandbox = await startCliSandbox();
});

beforeEach(async () => {
  const { resources } = sandbox.stack;
  for (const url of [
    resources.subscriptionDeadLetterQueueUrl,
    resources.onFailureQueueUrl,
    resources.retryDeadLetterQueueUrl,
    resources.retryQueueUrl,
    resources.alertsInboxUrl,
  ]) {
    await sandbox.stack.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }
  await sandbox.stack.outcomes();
});

afterAll(async () => {
  await sandbox.close();
});

/** Receives everything waiting on a queue (and leaves it hidden). */
async function receiveAll(url: string) {
  const { Messages = [] } = await sandbox.stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 30,
    }),
  );
  return Messages;
}

async function depth(url: string): Promise<number> {
  const { Attributes } = await sandbox.stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * A failure alert as SNS delivered it: published to the alerts topic with an event id attribute,
 * taken from the topic's SQS inbox, where its body is the SNS notification JSON.
 */
async function snsNotification(eventId: string) {
  const flow = sandbox.addFlow();
  const { run, alert } = sandbox.failedRun(flow);
  await sandbox.stack.publishAlert(alert, { [EVENT_ID_ATTRIBUTE]: eventId });
  const [message] = await receiveAll(sandbox.stack.resources.alertsInboxUrl);
  await sandbox.stack.sqs.send(new PurgeQueueCommand({ QueueUrl: sandbox.stack.resources.alertsInboxUrl }));
  return { run, body: message?.Body ?? '' };
}

/** What SNS puts in a subscription DLQ when it cannot deliver to the function. */
async function putInSubscriptionDlq(eventId: string) {
  const { run, body } = await snsNotification(eventId);
  await sandbox.stack.sqs.send(
    new SendMessageCommand({
      QueueUrl: sandbox.stack.resources.subscriptionDeadLetterQueueUrl,
      MessageBody: body,
      MessageAttributes: {
        RequestID: { DataType: 'String', StringValue: 'c6f3a2e4-5b1d-4f7a-9e8c-0d1b2a3c4d5e' },
        ErrorCode: { DataType: 'String', StringValue: 'KMSAccessDenied' },
        ErrorMessage: { DataType: 'String', StringValue: 'Lambda could not be invoked' },
      },
    }),
  );
  return run;
}

/** What Lambda sends to the on-failure destination after every attempt of an SNS event threw. */
async function putInOnFailureQueue() {
  const { run, body } = await snsNotification(`evt-${Date.now()}`);
  const event: SNSEvent = { Records: [snsRecordOf(JSON.parse(body))] };
  const invocation = await invokeAsync(
    async () => {
      throw new Error('Flow Service answered 503 on every attempt');
    },
    event,
    { retryAttempts: 2 },
  );
  await sandbox.stack.sqs.send(
    new SendMessageCommand({
      QueueUrl: sandbox.stack.resources.onFailureQueueUrl,
      MessageBody: JSON.stringify(invocation.onFailure),
    }),
  );
  return run;
}

/** A delayed re-trigger that failed every receive. */
async function putInRetryDlq() {
  const flow = sandbox.addFlow();
  const { run } = sandbox.failedRun(flow);
  const message: DelayedRetry = {
    kind: 'aep-autoretry/delayed-retry',
    version: 1,
    alert: {
      runId: run.id,
      flowId: flow.id,
      sandboxName: 'prod',
      imsOrgId: run.imsOrgId,
      errorCodes: ['CONNECTOR-1001-500'],
      source: 'run',
    },
    attempt: 2,
    dueAt: Date.now() - 1000,
    scheduleToken: 'a7c0e1d2-3b4c-4d5e-8f90-a1b2c3d4e5f6',
  };
  const body = JSON.stringify(message);
  await sandbox.stack.sqs.send(
    new SendMessageCommand({ QueueUrl: sandbox.stack.resources.retryDeadLetterQueueUrl, MessageBody: body }),
  );
  return { run, body };
}

it('counts and shows the messages of every queue with --dry-run, and moves none', async () => {
  // Prepare
  const subscriptionRun = await putInSubscriptionDlq('evt-dry');
  const onFailureRun = await putInOnFailureQueue();
  const { run: delayedRun } = await putInRetryDlq();
  const { resources } = sandbox.stack;

  // Act
  const result = await sandbox.run(['redrive', '--dry-run']);

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    'subscription DLQ: 1 message; 1 would be moved to the alerts topic (dry run)',
  );
  expect(result.stdout).toContain(`alert for run ${subscriptionRun.id}`);
  expect(result.stdout).toContain('SNS said: Lambda could not be invoked');
  expect(result.stdout).toContain(
    'on-failure queue: 1 message; 1 would be moved to the alerts topic (dry run)',
  );
  expect(result.stdout).toContain(`alert for run ${onFailureRun.id}`);
  expect(result.stdout).toContain('the function threw: Flow Service answered 503 on every attempt');
  expect(result.stdout).toContain('retry DLQ: 1 message; 1 would be moved to the delay queue (dry run)');
  expect(result.stdout).toContain(`re-trigger 2 of run ${delayedRun.id}`);
  expect(result.stdout).toContain('Total: 3 found, 3 would be moved (dry run: nothing moved)');
  expect(await depth(resources.subscriptionDeadLetterQueueUrl)).toBe(1);
  expect(await depth(resources.onFailureQueueUrl)).toBe(1);
  expect(await depth(resources.retryDeadLetterQueueUrl)).toBe(1);
  expect(await depth(resources.alertsInboxUrl)).toBe(0);
  // Released at once: a second look sees the same messages.
  expect(await receiveAll(resources.subscriptionDeadLetterQueueUrl)).toHaveLength(1);
});

it('publishes subscription DLQ alerts to the alerts topic again with their attributes, then deletes them', async () => {
  // Prepare
  const run = await putInSubscriptionDlq('evt-42');
  const { resources } = sandbox.stack;

  // Act
  const result = await sandbox.run(['redrive', '--queue', 'subscription', '--json']);

  // Assess
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: false, found: 1, moved: 1, skipped: 0 });
  expect(await depth(resources.subscriptionDeadLetterQueueUrl)).toBe(0);
  const [delivered] = await receiveAll(resources.alertsInboxUrl);
  const notification = JSON.parse(delivered?.Body ?? '{}');
  expect(JSON.parse(notification.Message)).toMatchObject({ id: run.id });
  expect(notification.MessageAttributes).toEqual({
    [EVENT_ID_ATTRIBUTE]: { Type: 'String', Value: 'evt-42' },
  });
});

it('publishes the alerts of on-failure records again, and the retrier re-triggers them', async () => {
  // Prepare
  const run = await putInOnFailureQueue();
  const { resources } = sandbox.stack;

  // Act
  const result = await sandbox.run(['redrive', '--queue', 'on-failure']);
  await sandbox.stack.deliver();
  const outcomes = await sandbox.stack.outcomes();

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('on-failure queue: 1 message; 1 moved to the alerts topic, 0 left');
  expect(await depth(resources.onFailureQueueUrl)).toBe(0);
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: run.id })]);
});

it('sends retry DLQ bodies back to the delay queue unchanged', async () => {
  // Prepare
  const { body } = await putInRetryDlq();
  const { resources } = sandbox.stack;

  // Act
  const result = await sandbox.run(['redrive', '--queue', 'retry']);

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('retry DLQ: 1 message; 1 moved to the delay queue, 0 left');
  expect(await depth(resources.retryDeadLetterQueueUrl)).toBe(0);
  const moved = await receiveAll(resources.retryQueueUrl);
  expect(moved.map((message) => message.Body)).toEqual([body]);
});

it('leaves a message it cannot read in its queue and moves the rest', async () => {
  // Prepare
  const { resources } = sandbox.stack;
  await sandbox.stack.sqs.send(
    new SendMessageCommand({ QueueUrl: resources.onFailureQueueUrl, MessageBody: 'not json' }),
  );
  await putInOnFailureQueue();

  // Act
  const result = await sandbox.run(['redrive', '--queue', 'on-failure', '--json']);

  // Assess
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report).toMatchObject({ found: 2, moved: 1, skipped: 1 });
  expect(report.queues[0].items).toContainEqual(
    expect.objectContaining({
      action: 'skip',
      moved: false,
      description: expect.stringContaining('left in the queue'),
    }),
  );
  const left = await receiveAll(resources.onFailureQueueUrl);
  expect(left.map((message) => message.Body)).toEqual(['not json']);
});

it('moves at most --max messages per queue', async () => {
  // Prepare
  const { resources } = sandbox.stack;
  await putInRetryDlq();
  await putInRetryDlq();
  await putInRetryDlq();

  // Act
  const result = await sandbox.run(['redrive', '--queue', 'retry', '--max', '2', '--json']);

  // Assess
  expect(JSON.parse(result.stdout)).toMatchObject({ found: 2, moved: 2 });
  expect(result.stderr).toContain('redriving the retry DLQ: 2/2');
  expect(await depth(resources.retryDeadLetterQueueUrl)).toBe(1);
  expect(await depth(resources.retryQueueUrl)).toBe(2);
});

it('rejects an unknown queue name', async () => {
  // Act
  const result = await sandbox.run(['redrive', '--queue', 'alerts']);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    '--queue must be one of subscription, on-failure, retry, eventbridge or all, not "alerts"',
  );
});
