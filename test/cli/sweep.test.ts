/**
 * `sweep` against the local sandbox: the scheduled sweep's code, run by hand, finds failed runs the
 * ledger never saw and hands them to the retrier through the alerts topic.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type CliSandbox, startCliSandbox } from './support';

let sandbox: CliSandbox;

beforeAll(async () => {
  sandbox = await startCliSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

async function alertsWaiting(): Promise<number> {
  const { Attributes } = await sandbox.stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: sandbox.stack.resources.alertsInboxUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

it('finds failed runs without alerts, hands them to the retrier, and skips the ones already handled', async () => {
  // Prepare: one failure whose alert was lost, one whose alert the retrier handled
  const flow = sandbox.addFlow();
  const { run: missed } = sandbox.failedRun(flow);
  const { run: handled, alert } = sandbox.failedRun(flow);
  await sandbox.stack.publishAlert(alert);
  await sandbox.stack.deliver();
  await sandbox.stack.outcomes();

  // Act
  const preview = await sandbox.run(['sweep', '--since', '1h', '--dry-run', '--json']);
  const waitingAfterPreview = await alertsWaiting();
  const sweep = await sandbox.run(['sweep', '--since', '1h', '--sandbox', 'prod']);
  await sandbox.stack.deliver();
  const outcomes = await sandbox.stack.outcomes();
  const again = await sandbox.run(['sweep', '--since', '1h', '--json']);

  // Assess
  expect(preview.code).toBe(0);
  const report = JSON.parse(preview.stdout);
  expect(report).toMatchObject({ dryRun: true, listed: 2, alreadyHandled: 1, errors: 0 });
  expect(report.published).toEqual([expect.objectContaining({ runId: missed.id, flowId: flow.id })]);
  expect(waitingAfterPreview).toBe(0);
  expect(sweep.code).toBe(0);
  expect(sweep.stdout).toContain('2 failed runs, 1 already handled, 1 published to the alerts topic');
  expect(sweep.stdout).toContain(`run ${missed.id}`);
  expect(sweep.stdout).not.toContain(`run ${handled.id}`);
  expect(sweep.stderr).toContain('runs checked: 2');
  expect(outcomes).toEqual([expect.objectContaining({ outcome: 'retriggered', runId: missed.id })]);
  expect(JSON.parse(again.stdout)).toMatchObject({ listed: 2, alreadyHandled: 2, published: [] });
});

it('rejects a look-back that is not a duration', async () => {
  // Act
  const result = await sandbox.run(['sweep', '--since', 'yesterday']);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--since must be a duration such as 90m, 24h or 7d, not "yesterday"');
});

it('rejects a look-back longer than the sweep allows', async () => {
  // Act
  const result = await sandbox.run(['sweep', '--since', '8d']);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--since may be at most 7d');
});
