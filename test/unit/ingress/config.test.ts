import { loadIngressConfig } from '../../../lambda/ingress/config';

const VALID = {
  ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
  LEDGER_TABLE_NAME: 'ledger',
  IO_EVENTS_CLIENT_IDS: 'c5a34355b7f5491f8277b8dd63f0bfa3, second_client-2',
};

describe('loadIngressConfig', () => {
  it('reads the environment, defaulting the key origin to Adobe and the event TTL to 3 days', () => {
    // Act
    const config = loadIngressConfig(VALID);

    // Assess
    expect(config).toEqual({
      alertsTopicArn: VALID.ALERTS_TOPIC_ARN,
      ledgerTableName: 'ledger',
      clientIds: ['c5a34355b7f5491f8277b8dd63f0bfa3', 'second_client-2'],
      keyOrigin: 'https://static.adobeioevents.com',
      eventTtlDays: 3,
    });
  });

  it('accepts a loopback key origin over http (tests, the sandbox)', () => {
    // Act
    const config = loadIngressConfig({ ...VALID, IO_EVENTS_KEY_ORIGIN: 'http://127.0.0.1:4555/' });

    // Assess
    expect(config.keyOrigin).toBe('http://127.0.0.1:4555');
  });

  it.each([
    ['plain http to a remote host', 'http://static.adobeioevents.com'],
    ['a path', 'https://static.adobeioevents.com/prod/keys'],
    ['not a URL', 'static.adobeioevents.com'],
  ])('throws when the key origin has %s', (_name, origin) => {
    // Act & Assess
    expect(() => loadIngressConfig({ ...VALID, IO_EVENTS_KEY_ORIGIN: origin })).toThrow(
      /IO_EVENTS_KEY_ORIGIN must be an https origin/,
    );
  });

  it('throws one error naming every missing or malformed variable, never a value', () => {
    // Act & Assess
    expect(() => loadIngressConfig({ IO_EVENTS_CLIENT_IDS: 'bad id!', EVENT_TTL_DAYS: '0' })).toThrow(
      expect.objectContaining({
        problems: [
          'ALERTS_TOPIC_ARN is missing (expected the ARN of the alerts SNS topic)',
          'LEDGER_TABLE_NAME is missing (expected the name of the ledger DynamoDB table)',
          'IO_EVENTS_CLIENT_IDS must list the I/O Events registration client id(s), comma-separated (letters, digits, - and _)',
          'EVENT_TTL_DAYS must be a whole number from 2 to 30',
        ],
      }),
    );
  });
});
