/**
 * `retry <runId>`: the operator's re-trigger. It goes through the retrier's `retryManually`: the
 * same org check, exactly-once claim in the ledger and verification (run still failed, flow
 * enabled) as the Lambda, without the policy (codes, budget, delays, pauses). The outcome is
 * published on the outcomes topic as the Lambda would publish it.
 */
import type { Credential } from '../../lambda/core/model';
import type { AlertResult } from '../../lambda/core/retrier';
import { SAFE_ID } from '../../lambda/core/run-object';
import { type CommandSpec, flagOption, stringOption } from '../command';
import { CliError, EXIT, UsageError } from '../errors';
import { isoTime, say } from '../io';

/** How long one manual retry may take, retries of Flow Service calls included. */
const RETRY_DEADLINE_MS = 60_000;

/** Outcomes that mean the request was carried out (or, dry, would be). */
const DONE = new Set(['retriggered', 'dry_run']);

async function orgFor(credentials: readonly Credential[], wanted: string | undefined): Promise<string> {
  const orgs = credentials.map((credential) => credential.orgId);
  if (wanted !== undefined) {
    const found = orgs.find((org) => org.toLowerCase() === wanted.toLowerCase());
    if (!found)
      throw new CliError(
        `The credential secret holds no credential for org ${wanted}; it holds: ${orgs.join(', ')}`,
      );
    return found;
  }
  const [only, ...others] = orgs;
  if (!only) throw new CliError('The credential secret holds no credential');
  if (others.length > 0)
    throw new CliError(
      `The credential secret holds ${orgs.length} orgs; choose one with --org: ${orgs.join(', ')}`,
    );
  return only;
}

/** The result as JSON: the retry error's message instead of the error. */
function resultJson(result: AlertResult): Record<string, unknown> {
  const { retry, dueAt, ...rest } = result;
  return {
    ...rest,
    ...(dueAt === undefined ? {} : { dueAt: new Date(dueAt).toISOString() }),
    ...(retry ? { error: { kind: retry.kind, message: retry.message } } : {}),
  };
}

/** `aep-autoretry retry`. */
export const retryCommand: CommandSpec = {
  name: 'retry',
  summary: 'Re-trigger a failed run now, with the same checks and ledger as the Lambda',
  synopsis: '<runId> [--sandbox <name>] [--org <id>] [--dry-run]',
  description: [
    'Re-triggers a failed dataflow run through Flow Service, exactly once: the run is claimed in the',
    'ledger first, Flow Service must still call it failed and its dataflow enabled. The retry policy',
    '(error codes, attempt budget, delays, pauses) does not apply: you asked. A run that was already',
    're-triggered, is scheduled or is being handled is refused as "duplicate". The outcome is published',
    'on the outcomes topic, as the Lambda would. Exit code 0 when re-triggered (or, with --dry-run,',
    'when it would be), 1 otherwise.',
  ].join('\n'),
  positionals: [{ name: 'runId', description: 'the failed run (its id in Flow Service)' }],
  options: {
    sandbox: {
      type: 'string',
      value: '<name>',
      description: 'the AEP sandbox the run belongs to (required)',
    },
    org: {
      type: 'string',
      value: '<id>',
      description: "the IMS org (…@AdobeOrg); default: the ledger's, else the secret's only org",
    },
    'dry-run': { type: 'boolean', description: 'claim and verify, but do not re-trigger; publishes dry_run' },
  },
  examples: [
    'npx aep-autoretry retry 6e4b1c2a-0f0e-4c1d-9a7b-2b1f4c3d5e6f --sandbox prod --stack AepDataflowAutoRetry',
    'npx aep-autoretry retry 6e4b1c2a-0f0e-4c1d-9a7b-2b1f4c3d5e6f --sandbox prod --dry-run --local',
  ],
  async run(context, input) {
    const [runId = ''] = input.positionals;
    if (!SAFE_ID.test(runId)) throw new UsageError(`"${runId}" is not a run id`, 'retry');
    const given = stringOption(input, 'sandbox');
    if (given !== undefined && !SAFE_ID.test(given))
      throw new UsageError(`"${given}" is not a sandbox name`, 'retry');
    const services = await context.services();
    // A run the ledger knows names its own sandbox and org.
    const known = await services.ledger.getRun(runId);
    const sandboxName = given ?? known?.sandboxName;
    if (sandboxName === undefined) {
      throw new UsageError(
        `missing --sandbox <name>: the ledger does not know run ${runId}, so name its AEP sandbox`,
        'retry',
      );
    }
    const orgId = await orgFor(
      await services.credentials.all(),
      stringOption(input, 'org') ?? known?.imsOrgId,
    );
    const dryRun = flagOption(input, 'dry-run') || services.target.config.dryRun;
    const result = await services.retrier.retryManually(
      { orgId, sandboxName: sandboxName.toLowerCase() },
      runId,
      {
        deadline: Date.now() + RETRY_DEADLINE_MS,
        dryRun,
      },
    );
    const code = DONE.has(result.outcome) && !result.retry ? EXIT.ok : EXIT.failure;
    if (context.json) {
      say(context.io, JSON.stringify({ ...resultJson(result), dryRun }, null, 2));
      return code;
    }
    const { io } = context;
    say(
      io,
      `${result.outcome}: run ${runId}${result.newRunId ? ` re-triggered as run ${result.newRunId}` : ''}`,
    );
    say(io, `  reason:   ${result.reason}`);
    if (result.flowId)
      say(io, `  dataflow: ${result.flowId} (sandbox ${result.sandboxName ?? sandboxName}, org ${orgId})`);
    if (result.attempt !== undefined) say(io, `  attempt:  ${result.attempt}`);
    if (result.dueAt !== undefined) say(io, `  due:      ${isoTime(result.dueAt)}`);
    if (services.target.config.dryRun && !flagOption(input, 'dry-run'))
      say(io, '  note:     the stack runs with DRY_RUN=true, so this retry was dry too');
    say(
      io,
      result.published
        ? '  published on the outcomes topic'
        : '  nothing published (a duplicate or a failure is only reported here)',
    );
    return code;
  },
};
