import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { RETRIER_ENV } from '../../contracts/environment';
import { DEFAULT_RETRY_POLICY } from '../../contracts/retry-policy';
import { actionsOf, getAtt, logicalId, ref, retrierStatements, type Synthesized, synth } from './synth';

describe('DataflowAutoRetry with default props', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth();
  });

  it('runs the retrier on nodejs24.x, arm64, with the default memory and timeout', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 60,
      LoggingConfig: { LogGroup: ref(synthesized.stack, synthesized.stack.autoRetry.logGroup) },
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('sets every environment variable, taking resource values from references', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;

    // Act
    const fn = template.findResources('AWS::Lambda::Function');
    const variables = Object.values(fn)[0]?.Properties.Environment.Variables;

    // Assess
    expect(variables).toEqual({
      [RETRIER_ENV.flowServiceUrl]: 'https://platform.adobe.io/data/foundation/flowservice',
      [RETRIER_ENV.imsTokenUrl]: 'https://ims-na1.adobelogin.com/ims/token/v3',
      [RETRIER_ENV.credentialsSecretId]: ref(stack, autoRetry.credentialsSecret),
      [RETRIER_ENV.outcomeTopicArn]: ref(stack, autoRetry.outcomesTopic),
      [RETRIER_ENV.ledgerTableName]: ref(stack, autoRetry.ledger),
      [RETRIER_ENV.retryQueueUrl]: ref(stack, autoRetry.retryQueue),
      [RETRIER_ENV.retryPolicy]: JSON.stringify(DEFAULT_RETRY_POLICY),
      [RETRIER_ENV.dryRun]: 'false',
      LEDGER_TTL_DAYS: '30',
      POWERTOOLS_SERVICE_NAME: 'aep-dataflow-autoretry',
      POWERTOOLS_METRICS_NAMESPACE: 'AepDataflowAutoRetry',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('creates SSL-only alerts, outcomes and ops topics encrypted with a rotating customer-managed key', () => {
    // Prepare
    const { stack, template } = synthesized;
    const { alertsTopic, outcomesTopic, opsTopic } = stack.autoRetry;
    const keyArn = getAtt(stack, stack.autoRetry.encryptionKey, 'Arn');

    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 3);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const topic of [alertsTopic, outcomesTopic, opsTopic]) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(stack, topic)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('lets SNS, CloudWatch alarms and EventBridge use the topic key', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: ['sns.amazonaws.com', 'cloudwatch.amazonaws.com'] },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          }),
        ]),
      },
    });
  });

  it('lets this account’s CloudWatch alarms publish to the ops topic', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(stack, stack.autoRetry.opsTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('subscribes the retrier to the alerts topic with a dead-letter queue', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(stack, autoRetry.alertsTopic),
      Endpoint: getAtt(stack, autoRetry.retrier, 'Arn'),
      RedrivePolicy: { deadLetterTargetArn: getAtt(stack, autoRetry.subscriptionDeadLetterQueue, 'Arn') },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(stack, autoRetry.subscriptionDeadLetterQueue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': ref(stack, autoRetry.alertsTopic) } },
          }),
        ]),
      },
    });
  });

  it('configures async retries with an on-failure SQS destination', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack, stack.autoRetry.retrier),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: getAtt(stack, stack.autoRetry.onFailureQueue, 'Arn') } },
    });
  });

  it('consumes the delay queue with partial batch failures and bounded concurrency', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(stack, stack.autoRetry.retryQueue, 'Arn'),
      FunctionName: ref(stack, stack.autoRetry.retrier),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('gives the delay queue six times the function timeout and a dead-letter queue after 5 receives', () => {
    // Prepare
    const { stack, template } = synthesized;

    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: {
        deadLetterTargetArn: getAtt(stack, stack.autoRetry.retryDeadLetterQueue, 'Arn'),
        maxReceiveCount: 5,
      },
    });
  });

  it('encrypts every queue, refuses plain HTTP to each, and keeps dead letters 14 days', () => {
    // Prepare
    const { stack, template } = synthesized;
    const { retryQueue, retryDeadLetterQueue, subscriptionDeadLetterQueue, onFailureQueue } = stack.autoRetry;

    // Assess
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    for (const queue of [retryQueue, retryDeadLetterQueue, subscriptionDeadLetterQueue, onFailureQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack, queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    for (const queue of [retryDeadLetterQueue, subscriptionDeadLetterQueue, onFailureQueue]) {
      const queueResource = template.toJSON().Resources[logicalId(stack, queue)];
      expect(queueResource.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    }
  });

  it('creates an on-demand ledger with TTL, point-in-time recovery and deletion protection, retained', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates the credentials secret as an empty template that survives stack deletion', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'aep-dataflow-autoretry/credentials',
        SecretString: JSON.stringify({ clientId: '', clientSecret: '', orgId: '', scopes: '' }),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('keeps the function’s logs for a month in its own retained log group', () => {
    // Prepare
    const { template } = synthesized;

    // Assess
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it('alarms on errors, throttles, each dead-letter queue and exhausted runs, notifying the ops topic', () => {
    // Prepare
    const { stack, template } = synthesized;
    const autoRetry = stack.autoRetry;
    const common = {
      Threshold: 1,
      EvaluationPeriods: 1,
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(stack, autoRetry.opsTopic)],
    };

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AepDataflowAutoRetry',
      MetricName: 'exhausted',
      Threshold: 5,
      AlarmActions: [ref(stack, autoRetry.opsTopic)],
    });
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Statistic: 'Sum',
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack, autoRetry.retrier) }],
      });
    }
    for (const queue of [
      autoRetry.subscriptionDeadLetterQueue,
      autoRetry.onFailureQueue,
      autoRetry.retryDeadLetterQueue,
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack, queue, 'QueueName') }],
      });
    }
    expect(Object.keys(autoRetry.alarms).sort()).toEqual([
      'errors',
      'exhausted',
      'onFailureQueue',
      'retryDeadLetterQueue',
      'subscriptionDeadLetterQueue',
      'throttles',
    ]);
  });

  it('subscribes no email to the ops topic unless asked', () => {
    // Assess
    synthesized.template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
  });
});

describe('DataflowAutoRetry IAM', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth();
  });

  it('uses its own role with no managed policies', () => {
    // Assess
    synthesized.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('grants GetSecretValue and DescribeSecret on the credentials secret only', () => {
    // Prepare
    const { stack } = synthesized;

    // Act
    const statements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: ref(stack, stack.autoRetry.credentialsSecret),
      },
    ]);
  });

  it('grants sns:Publish on the outcomes topic only', () => {
    // Prepare
    const { stack } = synthesized;

    // Act
    const statements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sns:')),
    );

    // Assess
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(stack, stack.autoRetry.outcomesTopic) },
    ]);
  });

  it('grants the exact KMS actions SNS needs to publish, on the topic key only', () => {
    // Prepare
    const { stack } = synthesized;

    // Act
    const statements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('kms:')),
    );

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: getAtt(stack, stack.autoRetry.encryptionKey, 'Arn'),
      },
    ]);
  });

  it('grants exactly the per-item DynamoDB actions on the ledger table', () => {
    // Prepare
    const { stack } = synthesized;

    // Act
    const statements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:ConditionCheckItem',
        ],
        Resource: [getAtt(stack, stack.autoRetry.ledger, 'Arn')],
      },
    ]);
  });

  it('grants log writes on its own log group only', () => {
    // Prepare
    const { stack } = synthesized;

    // Act
    const statements = retrierStatements(synthesized).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('logs:')),
    );

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt(stack, stack.autoRetry.logGroup, 'Arn'),
      },
    ]);
  });

  it('grants SQS actions only on the delay queue and the on-failure queue', () => {
    // Prepare
    const { stack } = synthesized;
    const allowed = [
      JSON.stringify(getAtt(stack, stack.autoRetry.retryQueue, 'Arn')),
      JSON.stringify(getAtt(stack, stack.autoRetry.onFailureQueue, 'Arn')),
    ];

    // Act
    const resources = retrierStatements(synthesized)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))
      .map((s) => JSON.stringify(s.Resource));

    // Assess
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((resource) => allowed.includes(resource))).toBe(true);
  });

  it('grants no wildcard action and no wildcard resource', () => {
    // Act
    const statements = retrierStatements(synthesized);

    // Assess
    expect(statements.length).toBeGreaterThan(5);
    for (const statement of statements) {
      expect(actionsOf(statement).filter((action) => action.includes('*'))).toEqual([]);
      expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
    }
  });
});

describe('DataflowAutoRetry with custom props', () => {
  it('passes settings through to the function, the table and the log group', () => {
    // Act
    const { template } = synth({
      flowServiceUrl: 'http://127.0.0.1:4010/data/foundation/flowservice',
      imsTokenUrl: 'http://localhost:4010/ims/token/v3',
      retryPolicy: { maxAttempts: 2, delaysSeconds: [0, 60] },
      dryRun: true,
      memorySize: 512,
      timeout: Duration.seconds(30),
      ledgerTtlDays: 7,
      ledgerDeletionProtection: false,
      ledgerRemovalPolicy: RemovalPolicy.DESTROY,
      reservedConcurrentExecutions: 3,
      asyncRetryAttempts: 0,
      maxEventAge: Duration.hours(1),
    });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 30,
      ReservedConcurrentExecutions: 3,
      Environment: {
        Variables: Match.objectLike({
          FLOW_SERVICE_URL: 'http://127.0.0.1:4010/data/foundation/flowservice',
          IMS_TOKEN_URL: 'http://localhost:4010/ims/token/v3',
          RETRY_POLICY: JSON.stringify({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2, delaysSeconds: [0, 60] }),
          DRY_RUN: 'true',
          LEDGER_TTL_DAYS: '7',
        }),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 180 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
  });

  it('subscribes the alarm email to the ops topic', () => {
    // Act
    const { stack, template } = synth({ alarmEmail: 'ops@example.com' });

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(stack, stack.autoRetry.opsTopic),
    });
  });

  it('turns on X-Ray tracing when asked', () => {
    // Act
    const { template } = synth({ tracing: Tracing.ACTIVE });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });
});
