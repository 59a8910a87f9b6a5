import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataflowAutoRetry } from '../../lib/dataflow-auto-retry';
import { actionsOf, retrierStatements, SKIP_BUNDLING, synth } from './synth';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:aep-failure-alerts';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aep/prod-AbC123';

describe('DataflowAutoRetry with existing resources', () => {
  it('subscribes to an alerts topic imported by ARN and creates no alerts topic', () => {
    // Act
    const { template } = synth({ alertsTopicArn: TOPIC_ARN });

    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.resourcePropertiesCountIs(
      'AWS::SNS::Topic',
      { DisplayName: 'AEP dataflow run failure alerts' },
      0,
    );
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: TOPIC_ARN,
      RedrivePolicy: Match.objectLike({ deadLetterTargetArn: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'sns.amazonaws.com',
      SourceArn: TOPIC_ARN,
    });
  });

  it('subscribes to an alerts topic given as a construct and creates no alerts topic', () => {
    // Prepare
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new Stack(app, 'Host');
    const alertsTopic = sns.Topic.fromTopicArn(stack, 'Existing', TOPIC_ARN);

    // Act
    new DataflowAutoRetry(stack, 'AutoRetry', { alertsTopic });
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: TOPIC_ARN });
  });

  it('reads a secret imported by name, granting read on that name only', () => {
    // Act
    const synthesized = synth({ credentialsSecretName: 'aep/prod-credentials' });

    // Assess
    synthesized.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CREDENTIALS_SECRET_ID: 'aep/prod-credentials' }) },
    });
    const secretStatements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]?.Resource)).toContain(':secret:aep/prod-credentials-??????');
  });

  it('reads a secret imported by ARN, granting read on that ARN only', () => {
    // Act
    const synthesized = synth({ credentialsSecretArn: SECRET_ARN });

    // Assess
    synthesized.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CREDENTIALS_SECRET_ID: SECRET_ARN }) },
    });
    const secretStatements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: SECRET_ARN,
      },
    ]);
  });

  it('reads a secret given as a construct and creates no secret', () => {
    // Prepare
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new Stack(app, 'Host');
    const credentialsSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Existing', SECRET_ARN);

    // Act
    new DataflowAutoRetry(stack, 'AutoRetry', { credentialsSecret });
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CREDENTIALS_SECRET_ID: SECRET_ARN }) },
    });
  });
});

describe('DataflowAutoRetry.grantPublishAlerts', () => {
  it('lets another role publish to the alerts topic with the exact KMS actions on its key', () => {
    // Prepare
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new Stack(app, 'Host');
    const autoRetry = new DataflowAutoRetry(stack, 'AutoRetry');
    const ingress = new iam.Role(stack, 'Ingress', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });

    // Act
    autoRetry.grantPublishAlerts(ingress);
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(ingress.node.defaultChild as CfnElement) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: { Ref: stack.getLogicalId(autoRetry.alertsTopic.node.defaultChild as CfnElement) },
          },
          {
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: {
              'Fn::GetAtt': [
                stack.getLogicalId(autoRetry.encryptionKey.node.defaultChild as CfnElement),
                'Arn',
              ],
            },
          },
        ],
      },
    });
  });
});
