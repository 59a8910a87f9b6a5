/**
 * bin/app.ts with the alert-route context keys, run the way the CDK CLI runs it (a child process
 * with CDK_OUTDIR and CDK_CONTEXT_JSON), offline and with bundling skipped.
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

async function synthApp(context: Record<string, unknown>): Promise<Template> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-app-routes-'));
  try {
    await run(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
      },
    });
    return JSON.parse(
      readFileSync(path.join(outdir, 'AepDataflowAutoRetry.template.json'), 'utf8'),
    ) as Template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function variablesOf(template: Template, description: RegExp): Record<string, unknown> {
  const fn = Object.values(template.Resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' && description.test(String(resource.Properties.Description)),
  );
  if (!fn) throw new Error(`no function described as ${description}`);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('bin/app.ts alert-route context', () => {
  it('enables the webhook, the EventBridge route and the sweep from context, passing cdk-nag', async () => {
    // Act
    const template = await synthApp({
      webhookClientIds: 'c5a34355b7f5491f8277b8dd63f0bfa3,second-client',
      eventBridgeBusName: 'aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f',
      sweepSandboxes: 'prod, dev',
      sweepScheduleMinutes: '30',
      sweepLookbackMinutes: '240',
      sweepMaxRuns: '200',
      sweepMaxPublishes: '20',
    });

    // Assess
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'WebhookUrl',
        'IngressFunctionName',
        'SweepFunctionName',
        'AdobeEventBridgeRuleName',
        'EventBridgeDeadLetterQueueUrl',
      ]),
    );
    expect(variablesOf(template, /I\/O Events webhook/).IO_EVENTS_CLIENT_IDS).toBe(
      'c5a34355b7f5491f8277b8dd63f0bfa3,second-client',
    );
    expect(variablesOf(template, /Missed-alert sweep/)).toMatchObject({
      SWEEP_SANDBOXES: 'prod,dev',
      SWEEP_LOOKBACK_MINUTES: '240',
      SWEEP_MAX_RUNS: '200',
      SWEEP_MAX_PUBLISHES: '20',
    });
    const rules = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Events::Rule',
    );
    expect(
      rules.map((rule) => rule.Properties.ScheduleExpression ?? rule.Properties.EventBusName).sort(),
    ).toEqual(['aws.partner/developer.adobe.com/8f1c0b7e-3c2a-4d5e-9f60-1a2b3c4d5e6f', 'rate(30 minutes)']);
  }, 60_000);

  it('accepts arrays from cdk.json for the list keys', async () => {
    // Act
    const template = await synthApp({ webhookClientIds: ['abc'], sweepSandboxes: ['prod'] });

    // Assess
    expect(variablesOf(template, /I\/O Events webhook/).IO_EVENTS_CLIENT_IDS).toBe('abc');
    expect(variablesOf(template, /Missed-alert sweep/).SWEEP_SANDBOXES).toBe('prod');
  }, 60_000);
});
