/**
 * What a command is: its synopsis, options and help, and the code that runs it.
 */
import type { CliIo } from './io';
import type { Services } from './services';

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder shown in help for a string option, e.g. `<name>`. */
  readonly value?: string;
  /** A string option that may be given more than once (its value is then a list). @default false */
  readonly multiple?: boolean;
  readonly description: string;
}

/** One required positional argument. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
}

/** The parsed command line of one command. */
export interface CommandInput {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** What a running command may use. */
export interface CommandContext {
  readonly io: CliIo;
  /** `--json`: print one JSON document on stdout instead of text. */
  readonly json: boolean;
  /** Resolves the target (`--stack` or `--local`) and builds the adapters, once. */
  services(): Promise<Services>;
}

/** A command of `aep-autoretry`. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Arguments after the command name, e.g. `<runId> --sandbox <name> [--dry-run]`. */
  readonly synopsis: string;
  /** What the command does, a few lines. */
  readonly description: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Runs the command; returns the exit code. Throws `UsageError` or `CliError` to fail. */
  run(context: CommandContext, input: CommandInput): Promise<number>;
}

/** A string option's value, or undefined. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable string option, each split at commas. */
export function listOption(input: CommandInput, name: string): string[] {
  const value = input.values[name];
  const given = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return given
    .flatMap((entry) => entry.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** A boolean option's value. */
export function flagOption(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}
