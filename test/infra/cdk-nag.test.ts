import { App, CfnResource, type PolicyViolation, Validations } from 'aws-cdk-lib';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  AepDataflowAutoRetryStack,
  type AepDataflowAutoRetryStackProps,
} from '../../lib/aep-dataflow-auto-retry-stack';
import { SKIP_BUNDLING } from './synth';

/** Every acknowledgement recorded in the tree: where, which rule, and why. */
function acknowledgements(
  root: IConstruct,
): { path: string; id: string; reason: unknown; onResource: boolean }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
          onResource: CfnResource.isCfnResource(construct),
        })),
      ),
  );
}

function describeViolations(violations: readonly PolicyViolation[]): string[] {
  return violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} (${violation.severity}) at ${resource.constructPath}`,
    ),
  );
}

function appWith(props: AepDataflowAutoRetryStackProps = {}): { app: App; stack: AepDataflowAutoRetryStack } {
  const app = new App({ context: SKIP_BUNDLING });
  const stack = new AepDataflowAutoRetryStack(app, 'Nag', props);
  return { app, stack };
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each<[string, AepDataflowAutoRetryStackProps]>([
    ['default props', {}],
    [
      'imported topic and secret',
      { alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts', credentialsSecretName: 'aep/prod' },
    ],
    [
      'alarm email, reserved concurrency and tracing',
      { alarmEmail: 'ops@example.com', reservedConcurrentExecutions: 4, tracing: Tracing.ACTIVE },
    ],
  ])('reports no unacknowledged error or warning with %s', (_name, props) => {
    // Prepare
    const { app } = appWith(props);

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(describeViolations(report.violations)).toEqual([]);
  });

  it('synthesizes with the checks registered as a validation plugin', () => {
    // Prepare
    const { app } = appWith();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act & Assess
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    // Prepare
    const { app, stack } = appWith();
    new sqs.Queue(stack, 'Unprotected', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act & Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });

  it('acknowledges only the expected findings, each on a single resource and with a reason', () => {
    // Prepare
    const { app } = appWith();

    // Act
    const acknowledged = acknowledgements(app);

    // Assess
    expect(acknowledged.map(({ path, id }) => `${id} ${path}`).sort()).toEqual([
      'AwsSolutions-L1 Nag/AutoRetry/Retrier/Resource',
      'AwsSolutions-SMG4 Nag/AutoRetry/CredentialsSecret/Resource',
      'AwsSolutions-SQS3 Nag/AutoRetry/OnFailureQueue/Resource',
      'AwsSolutions-SQS3 Nag/AutoRetry/SubscriptionDeadLetterQueue/Resource',
    ]);
    for (const { onResource, reason } of acknowledged) {
      expect(onResource).toBe(true);
      expect(typeof reason).toBe('string');
      expect((reason as string).trim().length).toBeGreaterThan(30);
    }
  });

  it('acknowledges the X-Ray wildcard on the role policy only when tracing is on, with a reason', () => {
    // Prepare
    const traced = appWith({ tracing: Tracing.ACTIVE });
    const untraced = appWith();

    // Act
    const xray = (app: App) =>
      acknowledgements(app).filter(({ id }) => id === 'AwsSolutions-IAM5[Resource::*]');

    // Assess
    expect(xray(traced.app)).toEqual([
      {
        path: 'Nag/AutoRetry/RetrierRole/DefaultPolicy/Resource',
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: expect.stringMatching(/X-Ray/),
        onResource: true,
      },
    ]);
    expect(xray(untraced.app)).toEqual([]);
  });
});
