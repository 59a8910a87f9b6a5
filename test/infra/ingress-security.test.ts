/**
 * The trust boundary of the alert routes: who may publish to the alerts topic, what is public, and
 * cdk-nag with every route enabled.
 */
import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  AepDataflowAutoRetryStack,
  type AepDataflowAutoRetryStackProps,
} from '../../lib/aep-dataflow-auto-retry-stack';
import { ref, SKIP_BUNDLING, synth } from './synth';

const EVERY_ROUTE: AepDataflowAutoRetryStackProps = {
  webhook: { clientIds: ['c5a34355b7f5491f8277b8dd63f0bfa3'] },
  eventBridge: {
    partnerEventBusName: 'aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f',
  },
  sweep: { sandboxes: ['prod', 'dev'] },
};

const DENY_OUTSIDE_ACCOUNT = {
  Sid: 'DenyPublishFromOutsideThisAccount',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sns:Publish',
  Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
};

describe('alerts topic policy', () => {
  it.each<[string, AepDataflowAutoRetryStackProps]>([
    ['default props', {}],
    ['every route', EVERY_ROUTE],
  ])('denies sns:Publish to every principal outside this account with %s', (_name, props) => {
    // Prepare
    const { stack, template } = synth(props);

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(stack, stack.autoRetry.alertsTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { ...DENY_OUTSIDE_ACCOUNT, Resource: ref(stack, stack.autoRetry.alertsTopic) },
        ]),
      },
    });
  });

  it('allows no principal on the alerts topic: this account’s publishers need IAM allows', () => {
    // Prepare
    const { stack, template } = synth(EVERY_ROUTE);

    // Act
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter(
      (policy) =>
        JSON.stringify(policy.Properties.Topics) ===
        JSON.stringify([ref(stack, stack.autoRetry.alertsTopic)]),
    );
    const statements = policies.flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Effect: string }[],
    );

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((statement) => statement.Effect === 'Allow')).toEqual([]);
  });

  it('leaves the policy of an imported alerts topic to its owner', () => {
    // Act
    const { template } = synth({
      ...EVERY_ROUTE,
      alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
    });

    // Assess
    const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Sid?: string }[],
    );
    expect(statements.some((statement) => statement.Sid === DENY_OUTSIDE_ACCOUNT.Sid)).toBe(false);
  });

  it('has the EventBridge route publish as a role of this account, not as the events service', () => {
    // Prepare
    const { template } = synth(EVERY_ROUTE);

    // Act
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Principal?: unknown }[],
    );

    // Assess
    expect(JSON.stringify(topicStatements)).not.toContain('events.amazonaws.com');
  });
});

describe('public surface', () => {
  it('exposes the webhook function URL and nothing else to anonymous callers', () => {
    // Prepare
    const { stack, template } = synth(EVERY_ROUTE);
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;

    // Act
    const publicPermissions = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Permission' && resource.Properties.Principal === '*',
    );
    const types = new Set(Object.values(resources).map((resource) => resource.Type));

    // Assess
    expect(publicPermissions).toHaveLength(2);
    for (const permission of publicPermissions) {
      expect(permission.Properties.FunctionName).toEqual({
        'Fn::GetAtt': [stack.getLogicalId(stack.autoRetry.ingress!.node.defaultChild as CfnResource), 'Arn'],
      });
      expect(
        permission.Properties.FunctionUrlAuthType === 'NONE' ||
          permission.Properties.InvokedViaFunctionUrl === true,
      ).toBe(true);
    }
    expect(
      [...types].filter((type) => type.startsWith('AWS::ApiGateway') || type.startsWith('AWS::ApiGatewayV2')),
    ).toEqual([]);
    template.resourceCountIs('AWS::Lambda::Url', 1);
  });
});

describe('cdk-nag with every alert route', () => {
  function appWith(props: AepDataflowAutoRetryStackProps) {
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new AepDataflowAutoRetryStack(app, 'Nag', props);
    return { app, stack };
  }

  it.each<[string, AepDataflowAutoRetryStackProps]>([
    ['every route', EVERY_ROUTE],
    ['every route and tracing', { ...EVERY_ROUTE, tracing: Tracing.ACTIVE }],
    [
      'every route on an imported topic',
      { ...EVERY_ROUTE, alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts' },
    ],
  ])('reports no unacknowledged finding with %s', (_name, props) => {
    // Prepare
    const { app } = appWith(props);

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(
      report.violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
      ),
    ).toEqual([]);
  });

  it('acknowledges only the runtime of each new function and the EventBridge dead-letter queue', () => {
    // Prepare
    const { app } = appWith(EVERY_ROUTE);

    // Act
    const acknowledged = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
            what: `${id.replace(/^annotation::/i, '')} ${construct.node.path}`,
            reason,
            onResource: CfnResource.isCfnResource(construct),
          })),
        ),
    );

    // Assess
    expect(acknowledged.map(({ what }) => what).sort()).toEqual([
      'AwsSolutions-L1 Nag/AutoRetry/Ingress/Resource',
      'AwsSolutions-L1 Nag/AutoRetry/Retrier/Resource',
      'AwsSolutions-L1 Nag/AutoRetry/Sweep/Resource',
      'AwsSolutions-SMG4 Nag/AutoRetry/CredentialsSecret/Resource',
      'AwsSolutions-SQS3 Nag/AutoRetry/EventBridgeDeadLetterQueue/Resource',
      'AwsSolutions-SQS3 Nag/AutoRetry/OnFailureQueue/Resource',
      'AwsSolutions-SQS3 Nag/AutoRetry/SubscriptionDeadLetterQueue/Resource',
    ]);
    for (const { reason, onResource } of acknowledged) {
      expect(onResource).toBe(true);
      expect(String(reason).length).toBeGreaterThan(30);
    }
  });

  it('synthesizes with the checks registered as a validation plugin', () => {
    // Prepare
    const { app } = appWith(EVERY_ROUTE);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act & Assess
    expect(() => app.synth()).not.toThrow();
  });
});
