/**
 * `pause <flowId>` / `resume <flowId>`: an operator's stop for one dataflow, stored in the ledger.
 * The Lambda reads the pause on every alert and before firing a scheduled re-trigger, so it holds
 * at once, without a deploy.
 */
import { hostname, userInfo } from 'node:os';
import { SAFE_ID } from '../../lambda/core/run-object';
import { type CommandSpec, stringOption } from '../command';
import { EXIT, UsageError } from '../errors';
import { type CliIo, isoTime, say } from '../io';

function flowIdOf(positionals: readonly string[], command: string): string {
  const [flowId = ''] = positionals;
  if (!SAFE_ID.test(flowId)) throw new UsageError(`"${flowId}" is not a dataflow id`, command);
  return flowId;
}

/** `$USER@hostname`: who pauses, by default. */
export function defaultOperator(io: CliIo): string {
  let user = io.env.USER ?? io.env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

/** `aep-autoretry pause`. */
export const pauseCommand: CommandSpec = {
  name: 'pause',
  summary: 'Stop re-triggering one dataflow (stored in the ledger, honoured at once)',
  synopsis: '<flowId> [--reason <text>] [--by <who>]',
  description: [
    'Pauses a dataflow: from now on the retrier answers its failure alerts with "ignored" and drops',
    'its scheduled re-triggers when they come due. The pause lives in the ledger, so it holds at once',
    'and survives deploys. Pausing a paused dataflow replaces the pause. "retry" still works on its runs.',
  ].join('\n'),
  positionals: [{ name: 'flowId', description: 'the dataflow (its id in Flow Service)' }],
  options: {
    reason: {
      type: 'string',
      value: '<text>',
      description: 'why, shown by status and in the ignored outcomes',
    },
    by: { type: 'string', value: '<who>', description: 'who pauses (default: $USER@hostname)' },
  },
  examples: [
    'npx aep-autoretry pause c0cb4b5b-367f-4946-a6cc-f7ccfe005b89 --reason "SFTP host moves tonight" --stack AepDataflowAutoRetry',
  ],
  async run(context, input) {
    const flowId = flowIdOf(input.positionals, 'pause');
    const by = stringOption(input, 'by') ?? defaultOperator(context.io);
    const reason = stringOption(input, 'reason');
    const { ledger } = await context.services();
    const previous = await ledger.getFlowPause(flowId);
    const pausedAt = Date.now();
    await ledger.setFlowPause(flowId, { pausedAt, by, ...(reason ? { reason } : {}) });
    if (context.json) {
      say(
        context.io,
        JSON.stringify(
          {
            flowId,
            paused: true,
            pausedAt: isoTime(pausedAt),
            by,
            reason: reason ?? null,
            replaced: previous !== null,
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    say(context.io, `Dataflow ${flowId} is paused (by ${by}${reason ? `: ${reason}` : ''}).`);
    if (previous)
      say(
        context.io,
        `It was already paused by ${previous.by ?? 'someone'} since ${isoTime(previous.pausedAt)}; the pause is replaced.`,
      );
    say(context.io, `Its failure alerts are ignored until "aep-autoretry resume ${flowId}".`);
    return EXIT.ok;
  },
};

/** `aep-autoretry resume`. */
export const resumeCommand: CommandSpec = {
  name: 'resume',
  summary: 'Lift the pause of a dataflow',
  synopsis: '<flowId>',
  description: [
    'Removes the pause of a dataflow: its next failure alerts are handled by the policy again. Alerts',
    'ignored during the pause are not replayed; re-trigger those runs with "retry", or run "sweep".',
  ].join('\n'),
  positionals: [{ name: 'flowId', description: 'the dataflow (its id in Flow Service)' }],
  options: {},
  examples: ['npx aep-autoretry resume c0cb4b5b-367f-4946-a6cc-f7ccfe005b89 --stack AepDataflowAutoRetry'],
  async run(context, input) {
    const flowId = flowIdOf(input.positionals, 'resume');
    const { ledger } = await context.services();
    const previous = await ledger.getFlowPause(flowId);
    if (previous) await ledger.setFlowPause(flowId, null);
    if (context.json) {
      say(
        context.io,
        JSON.stringify(
          {
            flowId,
            paused: false,
            wasPaused: previous !== null,
            ...(previous
              ? {
                  pausedAt: isoTime(previous.pausedAt),
                  by: previous.by ?? null,
                  reason: previous.reason ?? null,
                }
              : {}),
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    if (!previous) {
      say(context.io, `Dataflow ${flowId} was not paused; nothing to do.`);
      return EXIT.ok;
    }
    say(
      context.io,
      `Dataflow ${flowId} is resumed (it was paused by ${previous.by ?? 'someone'} since ${isoTime(previous.pausedAt)}).`,
    );
    say(
      context.io,
      'Alerts ignored during the pause are not replayed: use "retry <runId>" or "sweep" for those runs.',
    );
    return EXIT.ok;
  },
};
