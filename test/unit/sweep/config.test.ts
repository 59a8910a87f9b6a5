import { loadSweepConfig } from '../../../lambda/sweep/config';

const VALID = {
  FLOW_SERVICE_URL: 'https://platform.adobe.io/data/foundation/flowservice',
  IMS_TOKEN_URL: 'https://ims-na1.adobelogin.com/ims/token/v3',
  CREDENTIALS_SECRET_ID: 'aep/credentials',
  LEDGER_TABLE_NAME: 'ledger',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
  SWEEP_SANDBOXES: 'prod, Dev',
};

describe('loadSweepConfig', () => {
  it('reads the environment with its defaults', () => {
    // Act
    const config = loadSweepConfig(VALID);

    // Assess
    expect(config).toEqual({
      flowServiceUrl: VALID.FLOW_SERVICE_URL,
      imsTokenUrl: VALID.IMS_TOKEN_URL,
      credentialsSecretId: 'aep/credentials',
      ledgerTableName: 'ledger',
      alertsTopicArn: VALID.ALERTS_TOPIC_ARN,
      sandboxes: ['prod', 'dev'],
      lookbackMinutes: 120,
      maxRuns: 500,
      maxPublishes: 50,
      maxCallsPerSecond: 2,
      secretCacheSeconds: 300,
    });
  });

  it('throws one error naming every bad variable', () => {
    // Act & Assess
    expect(() =>
      loadSweepConfig({
        ...VALID,
        SWEEP_SANDBOXES: 'prod,with space',
        SWEEP_LOOKBACK_MINUTES: '10081',
        ALERTS_TOPIC_ARN: '',
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          'ALERTS_TOPIC_ARN is missing (expected the ARN of the alerts SNS topic)',
          'SWEEP_SANDBOXES must list sandbox names, comma-separated, e.g. prod,dev',
          'SWEEP_LOOKBACK_MINUTES must be a whole number from 1 to 10080',
        ],
      }),
    );
  });
});
