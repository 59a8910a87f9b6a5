/**
 * Runs bin/app.ts the way the CDK CLI does (a child process with CDK_OUTDIR and CDK_CONTEXT_JSON),
 * without AWS credentials and with bundling skipped, and reads the template it writes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../lib/bundling';

const run = promisify(execFile);

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, unknown>;
}

async function synthApp(
  context: Record<string, unknown>,
  stackName = 'AepDataflowAutoRetry',
): Promise<Template> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-app-'));
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
    };
    await run(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env,
    });
    return JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as Template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function retrierEnvironment(template: Template): Record<string, unknown> {
  const fn = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function');
  if (!fn) throw new Error('the template holds no Lambda function');
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('bin/app.ts', () => {
  it('synthesizes the default stack offline, passing the cdk-nag checks', async () => {
    // Act
    const template = await synthApp({});

    // Assess
    expect(Object.keys(template.Outputs)).toContain('RetrierFunctionName');
    expect(retrierEnvironment(template).DRY_RUN).toBe('false');
  }, 60_000);

  it('feeds context values into the construct props', async () => {
    // Act
    const template = await synthApp(
      {
        stackName: 'AutoRetryStaging',
        alertsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:aep-failure-alerts',
        credentialsSecretName: 'aep/staging',
        flowServiceUrl: 'http://127.0.0.1:4010/flowservice',
        retryPolicy: '{"maxAttempts":2}',
        dryRun: 'true',
        memorySize: '512',
      },
      'AutoRetryStaging',
    );

    // Assess
    const environment = retrierEnvironment(template);
    expect(environment.DRY_RUN).toBe('true');
    expect(environment.CREDENTIALS_SECRET_ID).toBe('aep/staging');
    expect(environment.FLOW_SERVICE_URL).toBe('http://127.0.0.1:4010/flowservice');
    expect(JSON.parse(environment.RETRY_POLICY as string).maxAttempts).toBe(2);
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::SNS::Topic')).toHaveLength(2);
    expect(types).not.toContain('AWS::SecretsManager::Secret');
  }, 60_000);

  it('throws when the retryPolicy context is not JSON', async () => {
    // Act & Assess
    await expect(synthApp({ retryPolicy: '{maxAttempts:2}' })).rejects.toThrow(
      /Context retryPolicy must be JSON/,
    );
  }, 60_000);
});
