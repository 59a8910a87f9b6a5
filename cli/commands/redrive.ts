/**
 * `redrive`: moves messages from the dead-letter queues back to where they came from.
 *
 * - subscription DLQ: SNS could not deliver an alert to the function; the body is the SNS
 *   notification, whose `Message` (and `MessageAttributes`) is published to the alerts topic again;
 * - on-failure queue: every attempt of the function threw; the body is Lambda's on-failure record,
 *   whose `requestPayload.Records[].Sns` messages are published to the alerts topic again;
 * - retry DLQ: a delayed re-trigger failed every receive; its body goes back on the delay queue;
 * - EventBridge DLQ (with the EventBridge route only): EventBridge could not publish an Adobe event
 *   to the alerts topic; the body, the event, is published to the alerts topic again.
 *
 * A message is deleted only after it was moved; one the CLI cannot read stays where it is. A
 * message moved twice (a delete that failed) is harmless: the ledger makes the second a duplicate.
 */
import { PublishCommand, type MessageAttributeValue as SnsAttribute } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { normaliseAlert } from '../../lambda/core/alert';
import { asRecord } from '../../lambda/core/run-object';
import { type CommandSpec, flagOption, stringOption } from '../command';
import { EXIT, UsageError } from '../errors';
import { type CliIo, isoTime, progress, say } from '../io';
import type { Services } from '../services';

/** The dead-letter queues `redrive` knows; `eventbridge` exists with the EventBridge route only. */
export const REDRIVE_QUEUES = ['subscription', 'on-failure', 'retry', 'eventbridge'] as const;

/** One of {@link REDRIVE_QUEUES}. */
export type RedriveQueue = (typeof REDRIVE_QUEUES)[number];

/** How long a received message stays hidden while this run works on it. */
const VISIBILITY_SECONDS = 120;

/** What the queues are called in output. */
const QUEUE_TITLES: Readonly<Record<RedriveQueue, string>> = {
  subscription: 'subscription DLQ',
  'on-failure': 'on-failure queue',
  retry: 'retry DLQ',
  eventbridge: 'EventBridge DLQ',
};

/** An alert to publish to the alerts topic again. */
interface AlertMove {
  readonly message: string;
  readonly attributes: Record<string, SnsAttribute>;
}

/** What to do with one dead-letter message. */
type Plan =
  | { readonly action: 'publish'; readonly alerts: readonly AlertMove[]; readonly description: string }
  | { readonly action: 'send'; readonly body: string; readonly description: string }
  | { readonly action: 'skip'; readonly description: string };

/** What happened to one message, for output. */
export interface RedriveItem {
  readonly messageId: string;
  readonly action: Plan['action'];
  readonly description: string;
  readonly moved: boolean;
}

/** The count for one queue. */
export interface RedriveReport {
  readonly queue: RedriveQueue;
  readonly url: string;
  readonly destination: string;
  /** Messages SQS counted as waiting before this run (approximate). */
  readonly waiting: number;
  readonly found: number;
  readonly moved: number;
  readonly skipped: number;
  readonly items: readonly RedriveItem[];
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** SNS attributes as a notification or a Lambda SNS record holds them, ready to publish again. */
function snsAttributes(value: unknown): Record<string, SnsAttribute> {
  const attributes: Record<string, SnsAttribute> = {};
  for (const [name, raw] of Object.entries(asRecord(value) ?? {})) {
    const attribute = asRecord(raw);
    const type = attribute?.Type;
    const text = attribute?.Value;
    if (typeof type !== 'string' || typeof text !== 'string') continue;
    attributes[name] =
      type === 'Binary'
        ? { DataType: 'Binary', BinaryValue: Buffer.from(text, 'base64') }
        : { DataType: type, StringValue: text };
  }
  return attributes;
}

function describeAlert(message: string): string {
  const read = normaliseAlert(message);
  if (read.kind === 'failure') return `alert for run ${read.alert.runId} (dataflow ${read.alert.flowId})`;
  return `${read.kind} alert${read.ids.runId ? ` for run ${read.ids.runId}` : ''}`;
}

/** Reads a dead-letter message and decides where it goes. */
export function planRedrive(queue: RedriveQueue, message: Message): Plan {
  const body = parseJson(message.Body);
  const record = asRecord(body);
  if (queue === 'subscription') {
    if (record?.Type !== 'Notification' || typeof record.Message !== 'string')
      return { action: 'skip', description: 'not an SNS notification; left in the queue' };
    const why = message.MessageAttributes?.ErrorMessage?.StringValue;
    return {
      action: 'publish',
      alerts: [{ message: record.Message, attributes: snsAttributes(record.MessageAttributes) }],
      description: `${describeAlert(record.Message)}${why ? `; SNS said: ${why}` : ''}`,
    };
  }
  if (queue === 'on-failure') {
    const records = asRecord(record?.requestPayload)?.Records;
    const alerts = (Array.isArray(records) ? records : []).flatMap((entry): AlertMove[] => {
      const sns = asRecord(asRecord(entry)?.Sns);
      return typeof sns?.Message === 'string'
        ? [{ message: sns.Message, attributes: snsAttributes(sns.MessageAttributes) }]
        : [];
    });
    if (alerts.length === 0)
      return { action: 'skip', description: 'not an on-failure record of an SNS event; left in the queue' };
    const error = asRecord(record?.responsePayload)?.errorMessage;
    return {
      action: 'publish',
      alerts,
      description: `${alerts.map((alert) => describeAlert(alert.message)).join(', ')}${typeof error === 'string' ? `; the function threw: ${error}` : ''}`,
    };
  }
  if (queue === 'eventbridge') {
    // What EventBridge puts in a rule target's DLQ, per the EventBridge User Guide, "Using
    // dead-letter queues to process undelivered events" (docs.aws.amazon.com/eventbridge/latest/
    // userguide/eb-rule-dlq.html): the event it could not deliver, as the body, with the message
    // attributes RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE. The guide does not say whether
    // the body is taken before or after the target's input path (`$.detail` here); the one real
    // message we found reported (serverless/serverless#4647, a target without input path) holds the
    // whole envelope (`version`, `id`, `detail-type`, `source`, ..., `detail`), and that is what the
    // tests put there. Either way the body is published as it is: the retrier reads an EventBridge
    // envelope as well as the bare alert (`normaliseAlert`), as it reads what the rule publishes.
    if (!record) return { action: 'skip', description: 'not a JSON event; left in the queue' };
    const why = message.MessageAttributes?.ERROR_MESSAGE?.StringValue;
    const code = message.MessageAttributes?.ERROR_CODE?.StringValue;
    const text = message.Body ?? '';
    return {
      action: 'publish',
      alerts: [{ message: text, attributes: {} }],
      description: `${describeAlert(text)}${why ? `; EventBridge said: ${why}${code ? ` (${code})` : ''}` : ''}`,
    };
  }
  if (record?.kind !== 'aep-autoretry/delayed-retry')
    return { action: 'skip', description: 'not a delayed re-trigger; left in the queue' };
  const alert = asRecord(record.alert);
  return {
    action: 'send',
    body: message.Body ?? '',
    description: `re-trigger ${String(record.attempt)} of run ${String(alert?.runId)} (due ${isoTime(Number(record.dueAt))})`,
  };
}

/** The queue's URL; undefined for the EventBridge DLQ of a target without the EventBridge route. */
function queueUrl(services: Services, queue: RedriveQueue): string | undefined {
  const { resources } = services.target;
  if (queue === 'subscription') return resources.subscriptionDeadLetterQueueUrl;
  if (queue === 'on-failure') return resources.onFailureQueueUrl;
  if (queue === 'eventbridge') return resources.eventBridgeDeadLetterQueueUrl;
  return resources.retryDeadLetterQueueUrl;
}

/** `--queue eventbridge` on a target that has no EventBridge route. */
function noEventBridgeQueue(services: Services): UsageError {
  const { target } = services;
  const where =
    target.kind === 'stack'
      ? `stack ${target.name} has no EventBridge DLQ (no output EventBridgeDeadLetterQueueUrl)`
      : 'the local sandbox has no EventBridge DLQ';
  return new UsageError(
    `--queue eventbridge: ${where}. The queue comes with the EventBridge route, deployed with the eventBridgeBusName context (cdk deploy -c eventBridgeBusName=aws.partner/developer.adobe.com/...); without it, redrive the other queues`,
    'redrive',
  );
}

async function move(services: Services, plan: Plan): Promise<void> {
  const { resources } = services.target;
  if (plan.action === 'publish') {
    for (const alert of plan.alerts) {
      await services.sns.send(
        new PublishCommand({
          TopicArn: resources.alertsTopicArn,
          Message: alert.message,
          ...(Object.keys(alert.attributes).length > 0 ? { MessageAttributes: alert.attributes } : {}),
        }),
      );
    }
  } else if (plan.action === 'send') {
    await services.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.retryQueueUrl, MessageBody: plan.body }),
    );
  }
}

/** Makes messages this run looked at but did not move visible again at once. */
async function release(services: Services, url: string, handles: readonly string[]): Promise<void> {
  for (let index = 0; index < handles.length; index += 10) {
    await services.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: handles.slice(index, index + 10).map((handle, offset) => ({
          Id: String(index + offset),
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/** Moves (or, dry, reads) up to `max` messages of one queue. */
export async function redriveQueue(
  services: Services,
  queue: RedriveQueue,
  options: { readonly dryRun: boolean; readonly max: number; readonly io: CliIo },
): Promise<RedriveReport> {
  const url = queueUrl(services, queue);
  if (url === undefined) throw noEventBridgeQueue(services);
  const destination = queue === 'retry' ? 'the delay queue' : 'the alerts topic';
  const items: RedriveItem[] = [];
  const seen = new Set<string>();
  const hidden: string[] = [];
  const { Attributes } = await services.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const waiting = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  const shown = progress(
    options.io,
    `${options.dryRun ? 'reading' : 'redriving'} the ${QUEUE_TITLES[queue]}`,
    {
      total: Math.min(waiting, options.max),
    },
  );
  let moved = 0;
  try {
    while (waiting > 0 && items.length < options.max) {
      const { Messages = [] } = await services.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, options.max - items.length),
          VisibilityTimeout: VISIBILITY_SECONDS,
          // Long polling asks every SQS server, so an empty answer means an empty queue.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        const handle = message.ReceiptHandle ?? '';
        const messageId = message.MessageId ?? handle;
        if (seen.has(messageId) || items.length >= options.max) {
          hidden.push(handle);
          continue;
        }
        seen.add(messageId);
        const plan = planRedrive(queue, message);
        if (plan.action === 'skip' || options.dryRun) {
          hidden.push(handle);
          items.push({ messageId, action: plan.action, description: plan.description, moved: false });
        } else {
          await move(services, plan);
          await services.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }));
          moved++;
          items.push({ messageId, action: plan.action, description: plan.description, moved: true });
        }
        shown.update(items.length, `${moved} moved`);
      }
    }
  } finally {
    shown.done();
    await release(services, url, hidden);
  }
  const skipped = items.filter((item) => item.action === 'skip').length;
  return { queue, url, destination, waiting, found: items.length, moved, skipped, items };
}

function printReport(io: CliIo, report: RedriveReport, dryRun: boolean): void {
  const movable = report.found - report.skipped;
  const title = `${QUEUE_TITLES[report.queue]}: ${report.found} message${report.found === 1 ? '' : 's'}`;
  if (dryRun) say(io, `${title}; ${movable} would be moved to ${report.destination} (dry run)`);
  else
    say(io, `${title}; ${report.moved} moved to ${report.destination}, ${report.skipped} left (unreadable)`);
  for (const item of report.items) {
    if (dryRun || item.action === 'skip') say(io, `  ${item.messageId}: ${item.description}`);
  }
}

/** `aep-autoretry redrive`. */
export const redriveCommand: CommandSpec = {
  name: 'redrive',
  summary: 'Move messages from the dead-letter queues back to their source, with a count',
  synopsis: '[--queue subscription|on-failure|retry|eventbridge|all] [--dry-run] [--max <n>]',
  description: [
    'Moves dead-letter messages back: alerts SNS could not deliver (subscription DLQ) and alerts the',
    'function failed on (on-failure queue) are published to the alerts topic again, with their message',
    'attributes; delayed re-triggers (retry DLQ) go back on the delay queue. With the EventBridge route,',
    'Adobe events EventBridge could not publish (EventBridge DLQ) are published to the alerts topic as',
    'they are. Each message is deleted only after it was moved; unreadable ones stay. Fix the cause',
    'first (the alarms and the function log say what it was). A message handled twice is harmless: the',
    'ledger makes it a duplicate.',
  ].join('\n'),
  positionals: [],
  options: {
    queue: {
      type: 'string',
      value: '<name>',
      description:
        'subscription, on-failure, retry, eventbridge (with the EventBridge route) or all (default: all)',
    },
    'dry-run': { type: 'boolean', description: 'count and show the messages without moving them' },
    max: { type: 'string', value: '<n>', description: 'move at most n messages per queue (default: all)' },
  },
  examples: [
    'npx aep-autoretry redrive --dry-run --stack AepDataflowAutoRetry',
    'npx aep-autoretry redrive --queue on-failure --max 100 --stack AepDataflowAutoRetry',
  ],
  async run(context, input) {
    const wanted = stringOption(input, 'queue') ?? 'all';
    if (wanted !== 'all' && !(REDRIVE_QUEUES as readonly string[]).includes(wanted))
      throw new UsageError(
        `--queue must be one of ${REDRIVE_QUEUES.join(', ')} or all, not "${wanted}"`,
        'redrive',
      );
    const maxText = stringOption(input, 'max');
    const max = maxText === undefined ? Number.POSITIVE_INFINITY : Number(maxText);
    if (!Number.isInteger(max) && max !== Number.POSITIVE_INFINITY)
      throw new UsageError('--max must be a whole number', 'redrive');
    if (max < 1) throw new UsageError('--max must be at least 1', 'redrive');
    const dryRun = flagOption(input, 'dry-run');
    const services = await context.services();
    // `all` is every queue the target has: the EventBridge DLQ only with the EventBridge route.
    const queues =
      wanted === 'all'
        ? REDRIVE_QUEUES.filter((queue) => queueUrl(services, queue) !== undefined)
        : [wanted as RedriveQueue];
    const reports: RedriveReport[] = [];
    for (const queue of queues)
      reports.push(await redriveQueue(services, queue, { dryRun, max, io: context.io }));
    const total = {
      found: reports.reduce((sum, report) => sum + report.found, 0),
      moved: reports.reduce((sum, report) => sum + report.moved, 0),
      skipped: reports.reduce((sum, report) => sum + report.skipped, 0),
    };
    if (context.json) {
      say(context.io, JSON.stringify({ dryRun, ...total, queues: reports }, null, 2));
      return EXIT.ok;
    }
    for (const report of reports) printReport(context.io, report, dryRun);
    say(
      context.io,
      dryRun
        ? `Total: ${total.found} found, ${total.found - total.skipped} would be moved (dry run: nothing moved)`
        : `Total: ${total.moved} moved, ${total.skipped} left`,
    );
    return EXIT.ok;
  },
};
