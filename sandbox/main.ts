/**
 * The local sandbox: `npm start`. No AWS account, no Docker, no network: moto_server plays SNS,
 * SQS, Secrets Manager and DynamoDB, the project's emulator plays Flow Service and IMS, and the
 * real bundled retrier handles real alert payloads delivered the way SNS and SQS would.
 *
 *   npm start                         the demo: a set of failures, each outcome printed
 *   npm start -- --alert alert.json   one alert of yours (its run is seeded in the emulator)
 *   npm start -- --webhook            a signed I/O Events webhook delivery through the ingress function
 *   npm start -- --keep               leave the sandbox running for the operator CLI (Ctrl-C stops)
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OutcomeMessage } from '../contracts/outcome';
import {
  alertFor,
  failureAlertFor,
  inCloudEvents,
  inEventBridge,
  inLegacyEnvelope,
} from '../emulator/alerts';
import { DEMO_CREDENTIAL, seedDemo } from '../emulator/seed';
import type { FlowObject, RunObject } from '../emulator/types';
import { normaliseAlert } from '../lambda/core/alert';
import { buildBundles } from '../scripts/build-bundles';
import { interceptOutput, linesOf } from './output';
import { type LocalStack, startLocalStack, writeSandboxOutputs } from './session';
import { runWebhookDemo } from './webhook-demo';

const HELP = `npm start [-- options]

Runs the retrier locally against moto_server (AWS) and the Flow Service emulator (Adobe).

  --alert <file>   process one alert payload of yours instead of the demo; its run and flow
                   are created in the emulator first (unless --no-seed)
  --no-seed        with --alert: do not create the run in the emulator
  --webhook        instead of the demo: sign a failure alert as Adobe I/O Events would and deliver
                   it to the real webhook ingress bundle (plus the challenge, a redelivery and a
                   forged copy), then let the retrier handle what the ingress published
  --keep           keep the sandbox running afterwards (for the operator CLI: npx aep-autoretry --local ...);
                   writes .sandbox/outputs.json; Ctrl-C stops it
  --verbose        print the function's JSON log lines and metrics (otherwise in .sandbox/retrier.log)
  --help           this text
`;

/** Where the function's log lines go unless --verbose. */
const LOG_FILE = join(process.cwd(), '.sandbox', 'retrier.log');

/** Where `--keep` writes what the operator CLI needs to find the running sandbox. */
export const SANDBOX_OUTPUTS = join(process.cwd(), '.sandbox', 'outputs.json');

/** The policy of the sandbox: short waits, so a delayed re-trigger fires while you watch. */
const SANDBOX_POLICY = { maxAttempts: 2, delaysSeconds: [0, 3], jitterRatio: 0 };

interface Scenario {
  readonly title: string;
  readonly runId?: string;
  readonly publish: () => Promise<void>;
}

/** One "alert handled" log line of the function. */
interface HandledLine {
  readonly message: string;
  readonly runId?: string;
  readonly outcome?: string;
  readonly reason?: string;
  readonly attempt?: number;
  readonly published?: boolean;
}

const handledLines: HandledLine[] = [];

/**
 * The function logs JSON lines to stdout, as on Lambda. Here they go to a file (or the terminal
 * with --verbose), and the sandbox reads them to show what was not published (duplicates).
 */
function routeFunctionLogs(verbose: boolean): void {
  mkdirSync(join(process.cwd(), '.sandbox'), { recursive: true });
  writeFileSync(LOG_FILE, '');
  interceptOutput((text) => {
    if (!text.startsWith('{')) return 'pass';
    appendFileSync(LOG_FILE, text);
    for (const line of linesOf(text)) {
      try {
        const parsed = JSON.parse(line) as HandledLine;
        if (parsed.message === 'alert handled' || parsed.message === 'alert kept for retry')
          handledLines.push(parsed);
      } catch {
        // not a log line of ours
      }
    }
    return verbose ? 'pass' : 'swallow';
  });
}

function short(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

function printOutcomes(outcomes: readonly OutcomeMessage[], titles: ReadonlyMap<string, string>): void {
  const header = ['scenario', 'run', 'outcome', 'attempt', 'new run', 'reason'];
  const rows = outcomes.map((outcome) => [
    (outcome.runId && titles.get(outcome.runId)) ?? '',
    short(outcome.runId),
    outcome.outcome,
    outcome.attempt === null
      ? '-'
      : outcome.attempt > outcome.maxAttempts
        ? `${outcome.maxAttempts}/${outcome.maxAttempts} spent`
        : `${outcome.attempt}/${outcome.maxAttempts}`,
    short(outcome.newRunId),
    outcome.reason.length > 70 ? `${outcome.reason.slice(0, 67)}...` : outcome.reason,
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => row[index]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ');
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}

/** Delivers, then returns the published outcomes plus the duplicates, which are only logged. */
async function deliverAndCollect(stack: LocalStack): Promise<OutcomeMessage[]> {
  const seen = handledLines.length;
  const round = await stack.deliver();
  if (round.sentToOnFailure > 0)
    console.log(`  ${round.sentToOnFailure} alert(s) went to the on-failure queue`);
  const published = await stack.outcomes();
  const duplicates = handledLines
    .slice(seen)
    .filter((line) => line.outcome === 'duplicate')
    .map(
      (line): OutcomeMessage => ({
        outcome: 'duplicate',
        runId: line.runId ?? null,
        flowId: null,
        sandboxName: null,
        imsOrgId: null,
        attempt: line.attempt ?? null,
        maxAttempts: SANDBOX_POLICY.maxAttempts,
        reason: `${line.reason ?? ''} (logged, not published)`,
        errorCodes: [],
        at: new Date().toISOString(),
      }),
    );
  return [...published, ...duplicates];
}

/** The demo: each kind of failure the retrier meets, and what it does with it. */
async function runDemo(stack: LocalStack): Promise<OutcomeMessage[]> {
  const seed = seedDemo(stack.emulator.state);
  const { flows, runs } = seed;
  const [sftpRun, bigQueryRun] = runs.retryable;
  if (!sftpRun || !bigQueryRun) throw new Error('the demo seed has no retryable runs');
  const titles = new Map<string, string>();
  const scenario = (title: string, run: RunObject | undefined, publish: () => Promise<void>): Scenario => {
    if (run) titles.set(run.id, title);
    return { title, runId: run?.id, publish };
  };
  const alertOf = (run: RunObject, flow: FlowObject) => failureAlertFor(run, flow);
  const scenarios: Scenario[] = [
    scenario('SFTP copy time-out', sftpRun, () => stack.publishAlert(alertOf(sftpRun, flows.sftp))),
    scenario('same alert again (I/O Events retry)', undefined, () =>
      stack.publishAlert(alertOf(sftpRun, flows.sftp)),
    ),
    scenario('BigQuery failure, CloudEvents envelope', bigQueryRun, () =>
      stack.publishAlert(inCloudEvents(alertOf(bigQueryRun, flows.bigquery))),
    ),
    scenario('S3 mapping error, EventBridge envelope', runs.permanent, () =>
      stack.publishAlert(inEventBridge(alertOf(runs.permanent, flows.s3))),
    ),
    scenario('disabled dataflow, legacy envelope', runs.ofDisabledFlow, () =>
      stack.publishAlert(inLegacyEnvelope(alertOf(runs.ofDisabledFlow, flows.disabled))),
    ),
    scenario('streaming source', runs.ofStreamingFlow, () =>
      stack.publishAlert(alertOf(runs.ofStreamingFlow, flows.streaming)),
    ),
    scenario('success alert', runs.succeeded, () => stack.publishAlert(alertFor(runs.succeeded, flows.sftp))),
    scenario('alert of another org', undefined, () =>
      stack.publishAlert({
        ...alertOf(sftpRun, flows.sftp),
        id: 'aa11bb22-other-org',
        imsOrgId: 'FFFF0000FFFF0000FFFF0000@AdobeOrg',
      }),
    ),
  ];
  titles.set('aa11bb22-other-org', 'alert of another org');
  console.log(`Publishing ${scenarios.length} alerts to the alerts topic:`);
  for (const { title, publish } of scenarios) {
    console.log(`  - ${title}`);
    await publish();
  }
  const outcomes = await deliverAndCollect(stack);

  // The BigQuery run's re-trigger fails too: its own alert continues the chain (attempt 2, after a
  // wait), and when that fails as well the budget of the sandbox policy (2 re-triggers) is spent.
  const chain: OutcomeMessage[] = [];
  let current = outcomes.find((outcome) => outcome.runId === bigQueryRun.id && outcome.newRunId)?.newRunId;
  for (let step = 0; current && step < 3; step++) {
    const alert = stack.emulator.state.completeRun(current, {
      status: 'failed',
      errors: ['CONNECTOR-3001-500'],
    });
    titles.set(current, `BigQuery re-run ${step + 1} fails again`);
    console.log(
      `Run ${short(current)} (re-run ${step + 1} of the BigQuery run) fails again; its alert is published`,
    );
    await stack.publishAlert(alert);
    const next = await deliverAndCollect(stack);
    chain.push(...next);
    current = next.find((outcome) => outcome.outcome === 'retriggered')?.newRunId;
  }
  const all = [...outcomes, ...chain];
  console.log('');
  printOutcomes(all, titles);
  return all;
}

/** One alert from a file: the run it names is created in the emulator, then the alert goes through. */
async function runOneAlert(stack: LocalStack, text: string, seed: boolean): Promise<OutcomeMessage[]> {
  const read = normaliseAlert(text);
  if (seed && read.kind === 'failure') {
    const { alert } = read;
    const state = stack.emulator.state;
    state.addFlow({
      id: alert.flowId,
      name: alert.flowName,
      sandboxName: alert.sandboxName,
      orgId: alert.imsOrgId,
    });
    state.addRun({
      id: alert.runId,
      flowId: alert.flowId,
      status: 'failed',
      errors: alert.errorCodes.length > 0 ? [...alert.errorCodes] : undefined,
      sandboxName: alert.sandboxName,
      orgId: alert.imsOrgId,
    });
    console.log(`Seeded flow ${alert.flowId} and failed run ${alert.runId} (sandbox ${alert.sandboxName}).`);
  } else if (read.kind !== 'failure') {
    console.log(`The alert reads as ${read.kind}: ${read.reason}`);
  }
  await stack.publishAlert(text);
  const outcomes = await deliverAndCollect(stack);
  printOutcomes(outcomes, new Map());
  for (const outcome of outcomes) console.log(`\n${JSON.stringify(outcome, null, 2)}`);
  return outcomes;
}

/** The webhook route: Adobe's signed delivery through the ingress function, then the retrier. */
async function runWebhook(stack: LocalStack): Promise<OutcomeMessage[]> {
  const { flows, runs } = seedDemo(stack.emulator.state);
  const run = runs.retryable[0];
  if (!run) throw new Error('the demo seed has no retryable runs');
  const [ingress] = await buildBundles(['ingress']);
  if (!ingress) throw new Error('the ingress bundle was not built');
  const demo = await runWebhookDemo({
    bundleFile: ingress.file,
    resources: stack.resources,
    alert: failureAlertFor(run, flows.sftp),
  });
  console.log(`Webhook ingress (I/O event ${demo.eventId}):`);
  console.log(
    `  GET ?challenge=...            -> ${demo.challenge.status}${demo.challenge.echoed ? ', challenge echoed' : ''}`,
  );
  const answer = (label: string, reply: typeof demo.delivery) =>
    console.log(
      `  ${label.padEnd(29)} -> ${reply.status}, ${reply.publishedMessageIds.length} alert(s) published`,
    );
  answer('POST signed delivery', demo.delivery);
  answer('POST same delivery again', demo.redelivery);
  answer('POST forged signature', demo.forged);
  console.log('');
  const outcomes = await deliverAndCollect(stack);
  printOutcomes(outcomes, new Map([[run.id, 'signed webhook delivery']]));
  return outcomes;
}

/** The sandbox's credential: the demo one, for the org of the given alert when there is one. */
function sandboxCredential(alertText: string | undefined) {
  const read = alertText === undefined ? undefined : normaliseAlert(alertText);
  const orgId = read?.kind === 'failure' ? read.alert.imsOrgId : DEMO_CREDENTIAL.orgId;
  return { ...DEMO_CREDENTIAL, orgId, scopes: DEMO_CREDENTIAL.scopes.join(',') };
}

async function keepRunning(stack: LocalStack): Promise<void> {
  mkdirSync(join(process.cwd(), '.sandbox'), { recursive: true });
  writeSandboxOutputs(stack, SANDBOX_OUTPUTS);
  console.log(`\nThe sandbox keeps running (outputs in ${SANDBOX_OUTPUTS}). Ctrl-C stops it.`);
  let stopping = false;
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  while (!stopping) {
    await stack.deliver({ maxWaitMs: 0 });
    const outcomes = await stack.outcomes();
    if (outcomes.length > 0) printOutcomes(outcomes, new Map());
    await Promise.race([stop, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
  rmSync(SANDBOX_OUTPUTS, { force: true });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      alert: { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      webhook: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  routeFunctionLogs(values.verbose);
  console.log('Starting moto_server, the Flow Service emulator and the retrier bundle...');
  const started = Date.now();
  const alertText = values.alert === undefined ? undefined : readFileSync(values.alert, 'utf8');
  const stack = await startLocalStack({ credentials: sandboxCredential(alertText), policy: SANDBOX_POLICY });
  try {
    console.log(
      `Ready in ${Date.now() - started} ms: AWS at ${stack.awsEndpoint}, Adobe at ${stack.emulator.url}\n`,
    );
    let outcomes: OutcomeMessage[];
    if (alertText !== undefined) outcomes = await runOneAlert(stack, alertText, !values['no-seed']);
    else if (values.webhook) outcomes = await runWebhook(stack);
    else outcomes = await runDemo(stack);
    const stats = stack.emulator.state.stats();
    console.log(
      `\n${outcomes.length} outcome(s); Flow Service re-triggers: ${stats.retriggers.total}; IMS tokens minted: ${stats.tokensMinted.total}.`,
    );
    if (!values.verbose) console.log(`The function's log lines: ${LOG_FILE}`);
    if (values.keep) await keepRunning(stack);
    return 0;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
