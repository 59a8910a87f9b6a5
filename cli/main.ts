/**
 * `aep-autoretry`: the operator CLI. `runCli(argv, io)` parses the command line, resolves the
 * target (a deployed stack or the local sandbox), runs one command and returns the exit code;
 * tests call it in process, the `bin` launcher calls {@link main}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CommandContext, CommandInput, CommandSpec, OptionSpec } from './command';
import { pauseCommand, resumeCommand } from './commands/pause';
import { redriveCommand } from './commands/redrive';
import { retryCommand } from './commands/retry';
import { statusCommand } from './commands/status';
import { sweepCommand } from './commands/sweep';
import { EXIT, explainAwsError, UsageError } from './errors';
import { type CliIo, note, processIo, say } from './io';
import { connect, type Services } from './services';
import { DEFAULT_SANDBOX_OUTPUTS, resolveTarget, type TargetChoice } from './target';

/** The program name, as typed. */
export const PROGRAM = 'aep-autoretry';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  retryCommand,
  statusCommand,
  pauseCommand,
  resumeCommand,
  redriveCommand,
  sweepCommand,
];

/** Options every command takes: the target and the output format. */
const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  stack: {
    type: 'string',
    value: '<name>',
    description: 'a deployed stack (default: $AEP_AUTORETRY_STACK)',
  },
  region: {
    type: 'string',
    value: '<region>',
    description: "the stack's AWS region (default: AWS_REGION, or your profile's)",
  },
  local: {
    type: 'string',
    value: '[file]',
    description: `the sandbox of "npm start -- --keep" (default file: ${DEFAULT_SANDBOX_OUTPUTS})`,
  },
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text' },
  help: { type: 'boolean', description: 'show help (also -h)' },
};

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => [
    `--${name}${spec.value ? ` ${spec.value}` : ''}`,
    spec.description,
  ]);
  const width = Math.max(...entries.map(([flag]) => flag?.length ?? 0));
  return entries.map(([flag, description]) => `  ${(flag ?? '').padEnd(width)}  ${description}`);
}

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `Usage: ${PROGRAM} <command> [arguments] (--stack <name> | --local [file]) [--json]`,
    '',
    "Operates the AEP dataflow auto-retry: re-trigger a run by hand, read a run's chain, pause or",
    'resume a dataflow, move dead-letter messages back, sweep for missed failures.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Target and output (every command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    `"${PROGRAM} <command> --help" shows a command's arguments and examples; --version the version.`,
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

/** The help of one command. */
export function commandHelp(command: CommandSpec): string {
  const positionals = command.positionals.map((positional) => `<${positional.name}>`);
  const width = Math.max(0, ...command.positionals.map((positional) => positional.name.length + 2));
  return [
    `Usage: ${PROGRAM} ${command.name} ${command.synopsis} (--stack <name> | --local [file]) [--json]`,
    '',
    command.description,
    '',
    ...(positionals.length > 0
      ? [
          'Arguments:',
          ...command.positionals.map(
            (positional) => `  ${`<${positional.name}>`.padEnd(width)}  ${positional.description}`,
          ),
          '',
        ]
      : []),
    ...(Object.keys(command.options).length > 0 ? ['Options:', ...optionLines(command.options), ''] : []),
    'Target and output:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}

/** `aep-autoretry <version> (node <version>)`: the package's version and the Node running the CLI. */
export function version(): string {
  const { version: packageVersion } = JSON.parse(
    readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
  ) as { version?: string };
  return `${PROGRAM} ${packageVersion ?? 'unknown'} (node ${process.version})`;
}

/** `--local` takes an optional file: the next argument when it names a `.json` file. */
function normaliseLocal(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      out.push(...args.slice(index));
      break;
    }
    if (arg !== '--local') {
      out.push(arg);
      continue;
    }
    const next = args[index + 1];
    if (next !== undefined && !next.startsWith('-') && /\.json$/i.test(next)) {
      out.push(`--local=${next}`);
      index++;
    } else {
      out.push('--local=');
    }
  }
  return out;
}

function usageFromParseError(error: unknown, command: CommandSpec): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`unknown option ${option ?? message} for "${command.name}"`, command.name);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return new UsageError(`option ${option ?? ''} needs a value`.replace('  ', ' '), command.name);
  return new UsageError(message, command.name);
}

function parseCommandLine(command: CommandSpec, args: readonly string[]): CommandInput {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...command.options })) {
    options[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(name === 'help' ? { short: 'h' } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: normaliseLocal(args),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as CommandInput['values'], positionals };
  } catch (error) {
    throw usageFromParseError(error, command);
  }
}

function targetChoice(input: CommandInput, io: CliIo, command: CommandSpec): TargetChoice {
  const local = input.values.local;
  const stack = input.values.stack;
  const region = typeof input.values.region === 'string' ? input.values.region : undefined;
  if (typeof local === 'string' && typeof stack === 'string')
    throw new UsageError('give either --stack or --local, not both', command.name);
  if (typeof local === 'string') return { kind: 'local', file: local || DEFAULT_SANDBOX_OUTPUTS };
  const stackName = typeof stack === 'string' ? stack : io.env.AEP_AUTORETRY_STACK;
  if (stackName === '') throw new UsageError('--stack needs the name of a deployed stack', command.name);
  if (stackName === undefined) {
    throw new UsageError(
      'no target: give --stack <name> for a deployed stack or --local for the sandbox of "npm start -- --keep"',
      command.name,
    );
  }
  return {
    kind: 'stack',
    stackName,
    region: region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION,
  };
}

function checkPositionals(command: CommandSpec, input: CommandInput): void {
  const expected = command.positionals;
  const missing = expected[input.positionals.length];
  if (missing) {
    throw new UsageError(
      `missing <${missing.name}>: ${PROGRAM} ${command.name} ${command.synopsis}`,
      command.name,
    );
  }
  if (input.positionals.length > expected.length) {
    const extra = input.positionals.slice(expected.length);
    throw new UsageError(`unexpected argument ${extra.map((arg) => `"${arg}"`).join(' ')}`, command.name);
  }
}

function printError(io: CliIo, error: unknown): number {
  if (error instanceof UsageError) {
    note(io, `${PROGRAM}: ${error.message}`);
    note(io, `Run "${PROGRAM} ${error.command ?? ''}${error.command ? ' ' : ''}--help" for usage.`);
    return EXIT.usage;
  }
  const explained = explainAwsError(error, 'calling AWS');
  const message = explained instanceof Error ? explained.message : String(explained);
  note(io, `${PROGRAM}: ${message}`);
  if (io.env.AEP_AUTORETRY_DEBUG && explained instanceof Error && explained.stack) note(io, explained.stack);
  return EXIT.failure;
}

function closestCommand(name: string): string | undefined {
  return COMMANDS.find(
    (command) => command.name.startsWith(name.slice(0, 3)) || name.startsWith(command.name),
  )?.name;
}

/**
 * Runs one command line and returns the exit code: 0 ok, 1 failure, 2 usage error. Never throws.
 * @param argv the arguments after the program name
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let services: Services | undefined;
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      io.stderr(mainHelp());
      return EXIT.usage;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const wanted = rest[0] ?? '';
      const command = COMMANDS.find((candidate) => candidate.name === wanted);
      if (wanted && !command) throw new UsageError(`unknown command "${wanted}"`);
      say(io, (command ? commandHelp(command) : mainHelp()).trimEnd());
      return EXIT.ok;
    }
    if (first === '--version' || first === '-v') {
      say(io, version());
      return EXIT.ok;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`the command comes first: ${PROGRAM} <command> [arguments] ${first} ...`);
    }
    const command = COMMANDS.find((candidate) => candidate.name === first);
    if (!command) {
      const hint = closestCommand(first);
      throw new UsageError(
        `unknown command "${first}"${hint ? ` (did you mean "${hint}"?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
    }
    const input = parseCommandLine(command, rest);
    if (input.values.help === true) {
      say(io, commandHelp(command).trimEnd());
      return EXIT.ok;
    }
    checkPositionals(command, input);
    const choice = targetChoice(input, io, command);
    const context: CommandContext = {
      io,
      json: input.values.json === true,
      async services() {
        if (!services) {
          const target = await resolveTarget(choice, io.cwd ?? process.cwd());
          services = connect(target);
        }
        return services;
      },
    };
    return await command.run(context, input);
  } catch (error) {
    return printError(io, error);
  } finally {
    services?.close();
  }
}

/** The launcher's entry: runs `process.argv` and exits with the code. */
export function main(): void {
  const io = processIo();
  runCli(process.argv.slice(2), io).then(
    (code) => {
      // Exit once stdout is flushed: the SDK's and fetch's keep-alive sockets need not hold us.
      process.stdout.write('', () => process.exit(code));
    },
    (error: unknown) => {
      io.stderr(`${PROGRAM}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(EXIT.failure);
    },
  );
}
