import { createHash } from 'node:crypto';
import { normaliseAlert } from '../../../lambda/core/alert';
import { listFixtures, loadFixture, loadFixtureText, snsEventFor, sqsEventFor } from '../../support/fixtures';

// biome-ignore lint/suspicious/noExplicitAny: tests edit deep fields of parsed JSON fixtures
type Json = Record<string, any>;

describe('the fixture loader', () => {
  it('returns a fresh copy on every call', () => {
    // Prepare
    const first = loadFixture<Json>('alerts/failure-run.json');
    first.metrics.statusSummary.status = 'success';

    // Act
    const second = loadFixture<Json>('alerts/failure-run.json');

    // Assess
    expect(second.metrics.statusSummary.status).toBe('failed');
  });

  it('lists the alert fixtures as loadable paths', () => {
    // Act
    const files = listFixtures('alerts');

    // Assess
    expect(files).toContain('alerts/failure-run.json');
    for (const file of files) expect(() => JSON.parse(loadFixtureText(file))).not.toThrow();
  });

  it('throws for a path outside test/fixtures', () => {
    // Act
    const load = () => loadFixture('../../package.json');

    // Assess
    expect(load).toThrow('outside test/fixtures');
  });
});

describe('snsEventFor', () => {
  it('builds one SNS record per message, objects as their JSON text', () => {
    // Prepare
    const failure = loadFixture<Json>('alerts/failure-run.json');

    // Act
    const event = snsEventFor([failure, 'not json']);

    // Assess
    expect(event.Records).toHaveLength(2);
    expect(event.Records.map((record) => record.EventSource)).toEqual(['aws:sns', 'aws:sns']);
    expect(event.Records[0]?.Sns.Message).toBe(JSON.stringify(failure));
    expect(event.Records[1]?.Sns.Message).toBe('not json');
    expect(event.Records[0]?.Sns.MessageId).not.toBe(event.Records[1]?.Sns.MessageId);
  });

  it('sets the attributes as String message attributes', () => {
    // Act
    const event = snsEventFor(['{}'], { eventId: 'b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f' });

    // Assess
    expect(event.Records[0]?.Sns.MessageAttributes).toEqual({
      eventId: { Type: 'String', Value: 'b7c9e0aa-64f5-4f4e-9d0f-1a2b3c4d5e6f' },
    });
  });

  it('carries messages normaliseAlert reads', () => {
    // Prepare
    const event = snsEventFor([loadFixtureText('alerts/failure-eventbridge.json')]);

    // Act
    const result = normaliseAlert(event.Records[0]?.Sns.Message);

    // Assess
    expect(result.kind).toBe('failure');
  });
});

describe('sqsEventFor', () => {
  it('builds one SQS record per body with its real MD5', () => {
    // Act
    const event = sqsEventFor([{ runId: 'f0b809c5-603d-4d6e-9600-977cb2e277b4' }, 'plain']);

    // Assess
    expect(event.Records).toHaveLength(2);
    expect(event.Records[0]?.eventSource).toBe('aws:sqs');
    expect(event.Records[0]?.body).toBe('{"runId":"f0b809c5-603d-4d6e-9600-977cb2e277b4"}');
    expect(event.Records[1]?.md5OfBody).toBe(createHash('md5').update('plain').digest('hex'));
    expect(event.Records[0]?.messageId).not.toBe(event.Records[1]?.messageId);
  });

  it('ships a fixture whose md5OfBody matches its body', () => {
    // Act
    const event = loadFixture<{ Records: { body: string; md5OfBody: string }[] }>('events/sqs-event.json');

    // Assess
    const record = event.Records[0]!;
    expect(record.md5OfBody).toBe(createHash('md5').update(record.body).digest('hex'));
  });
});
