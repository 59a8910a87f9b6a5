import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataflowAutoRetry, type DataflowAutoRetryProps } from '../../lib/dataflow-auto-retry';
import { SKIP_BUNDLING } from './synth';

function create(props: DataflowAutoRetryProps): DataflowAutoRetry {
  const app = new App({ context: SKIP_BUNDLING });
  return new DataflowAutoRetry(new Stack(app, 'Host'), 'AutoRetry', props);
}

describe('DataflowAutoRetry props validation', () => {
  it('throws naming the retry policy field that is out of range', () => {
    // Act & Assess
    expect(() => create({ retryPolicy: { maxAttempts: 0 } })).toThrow(
      /retryPolicy is invalid: maxAttempts must be from 1 to 10/,
    );
  });

  it('throws naming an unknown retry policy field', () => {
    // Prepare
    const retryPolicy = { maxAttempts: 2, maxAttemps: 3 } as unknown as DataflowAutoRetryProps['retryPolicy'];

    // Act & Assess
    expect(() => create({ retryPolicy })).toThrow(/retryPolicy is invalid: unknown field maxAttemps/);
  });

  it('throws naming the bad element of delaysSeconds', () => {
    // Act & Assess
    expect(() => create({ retryPolicy: { delaysSeconds: [0, -5] } })).toThrow(
      /delaysSeconds\[1\] must not be negative/,
    );
  });

  it('throws when flowServiceUrl is plain http to a remote host', () => {
    // Act & Assess
    expect(() => create({ flowServiceUrl: 'http://platform.adobe.io/data/foundation/flowservice' })).toThrow(
      /flowServiceUrl must use https/,
    );
  });

  it('throws when imsTokenUrl is not a URL', () => {
    // Act & Assess
    expect(() => create({ imsTokenUrl: 'ims-na1.adobelogin.com' })).toThrow(
      /imsTokenUrl must be an absolute URL/,
    );
  });

  it('accepts plain http to loopback hosts for local emulators', () => {
    // Act & Assess
    expect(() =>
      create({
        flowServiceUrl: 'http://127.0.0.1:8080/flowservice',
        imsTokenUrl: 'http://[::1]:8080/ims/token/v3',
      }),
    ).not.toThrow();
  });

  it('throws when both alertsTopic and alertsTopicArn are given', () => {
    // Prepare
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new Stack(app, 'Host');
    const alertsTopic = new sns.Topic(stack, 'Alerts');

    // Act & Assess
    expect(
      () =>
        new DataflowAutoRetry(stack, 'AutoRetry', {
          alertsTopic,
          alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
        }),
    ).toThrow(/give alertsTopic or alertsTopicArn, not both/);
  });

  it('throws when alertsTopicArn is not an SNS topic ARN', () => {
    // Act & Assess
    expect(() => create({ alertsTopicArn: 'aep-alerts' })).toThrow(/alertsTopicArn must be an SNS topic ARN/);
  });

  it('throws when more than one way to find the secret is given', () => {
    // Act & Assess
    expect(() =>
      create({
        credentialsSecretName: 'aep/prod',
        credentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aep/prod-AbC123',
      }),
    ).toThrow(/at most one of credentialsSecret, credentialsSecretName and credentialsSecretArn/);
  });

  it('throws when credentialsSecretArn lacks its 6-character suffix', () => {
    // Act & Assess
    expect(() =>
      create({ credentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aep/prod' }),
    ).toThrow(/credentialsSecretArn must be the full ARN/);
  });

  it.each([Duration.seconds(5), Duration.seconds(901)])('throws when timeout is %s', (timeout) => {
    // Act & Assess
    expect(() => create({ timeout })).toThrow(/timeout must be from 10 seconds to 15 minutes/);
  });

  it('throws when ledger items would expire before a retry chain ends', () => {
    // Prepare
    const retryPolicy = { maxAttempts: 10, delaysSeconds: [7 * 24 * 3600] };

    // Act & Assess
    expect(() => create({ retryPolicy, ledgerTtlDays: 30 })).toThrow(
      /ledgerTtlDays \(30\) must outlast a whole retry chain/,
    );
  });

  it('throws when asyncRetryAttempts is beyond Lambda’s limit', () => {
    // Act & Assess
    expect(() => create({ asyncRetryAttempts: 3 })).toThrow(/asyncRetryAttempts must be 0, 1 or 2/);
  });

  it('throws when reservedConcurrentExecutions is 0', () => {
    // Act & Assess
    expect(() => create({ reservedConcurrentExecutions: 0 })).toThrow(
      /reservedConcurrentExecutions must be a whole number of at least 1/,
    );
  });

  it('throws when alarmEmail is not an email address', () => {
    // Act & Assess
    expect(() => create({ alarmEmail: 'ops' })).toThrow(/alarmEmail must be an email address/);
  });

  it('throws one error listing every bad prop', () => {
    // Act
    let message = '';
    try {
      create({
        memorySize: 64,
        imsTokenUrl: 'ftp://example.com',
        retryPolicy: { retryUnknown: 'yes' as unknown as boolean },
      });
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toMatch(/memorySize must be a whole number of MB from 128 to 10240, got 64/);
    expect(message).toMatch(/imsTokenUrl must use https/);
    expect(message).toMatch(/retryPolicy is invalid: retryUnknown must be true or false/);
  });
});
