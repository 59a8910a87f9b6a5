/**
 * Real payload fixtures (`test/fixtures/`, sources in its README) and the Lambda events that carry
 * them. Every call returns a fresh deep copy, so a test may mutate what it gets.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { SNSEvent, SNSEventRecord, SQSEvent, SQSRecord } from 'aws-lambda';

const FIXTURES_DIR = resolve(__dirname, '../fixtures');

const texts = new Map<string, string>();

function fixturePath(relPath: string): string {
  const path = resolve(FIXTURES_DIR, relPath);
  const inside = relative(FIXTURES_DIR, path);
  if (inside.startsWith('..') || inside === '')
    throw new Error(`fixture path ${relPath} is outside test/fixtures`);
  return path;
}

/** The raw text of a fixture, e.g. `loadFixtureText('alerts/failure-run.json')`. */
export function loadFixtureText(relPath: string): string {
  const path = fixturePath(relPath);
  let text = texts.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    texts.set(path, text);
  }
  return text;
}

/**
 * A JSON fixture, parsed afresh on every call (a deep clone: tests never share a mutated fixture).
 * `relPath` is relative to `test/fixtures`, e.g. `alerts/failure-run.json`.
 */
export function loadFixture<T = unknown>(relPath: string): T {
  return JSON.parse(loadFixtureText(relPath)) as T;
}

/** The JSON fixtures in a folder of `test/fixtures`, as paths `loadFixture` takes, sorted. */
export function listFixtures(folder: string): string[] {
  return readdirSync(fixturePath(folder))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(folder, name));
}

function messageText(message: string | object): string {
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/** A deterministic UUID-shaped id per record, so records of one event differ. */
function recordId(template: string, index: number): string {
  return index === 0 ? template : `${template.slice(0, -8)}${index.toString(16).padStart(8, '0')}`;
}

/**
 * An SNS → Lambda event (`test/fixtures/events/sns-event.json`) with one record per message.
 * Objects are sent as their JSON text, as a publisher would. `attributes` become String message
 * attributes of every record.
 */
export function snsEventFor(
  messages: readonly (string | object)[],
  attributes: Record<string, string> = {},
): SNSEvent {
  const base = loadFixture<SNSEvent>('events/sns-event.json').Records[0] as SNSEventRecord;
  return {
    Records: messages.map((message, index) => {
      const record = loadFixture<SNSEvent>('events/sns-event.json').Records[0] as SNSEventRecord;
      record.Sns.Message = messageText(message);
      record.Sns.MessageId = recordId(base.Sns.MessageId, index);
      record.Sns.MessageAttributes = Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { Type: 'String', Value: value }]),
      );
      return record;
    }),
  };
}

/**
 * An SQS → Lambda event (`test/fixtures/events/sqs-event.json`) with one record per body.
 * Objects are sent as their JSON text; `md5OfBody` is the body's real MD5, as SQS sets it.
 */
export function sqsEventFor(bodies: readonly (string | object)[]): SQSEvent {
  const base = loadFixture<SQSEvent>('events/sqs-event.json').Records[0] as SQSRecord;
  return {
    Records: bodies.map((body, index) => {
      const record = loadFixture<SQSEvent>('events/sqs-event.json').Records[0] as SQSRecord;
      record.body = messageText(body);
      record.md5OfBody = createHash('md5').update(record.body).digest('hex');
      record.messageId = recordId(base.messageId, index);
      return record;
    }),
  };
}
