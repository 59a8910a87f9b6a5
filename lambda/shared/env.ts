/**
 * Reading the functions' environment at cold start: every variable is checked, every problem is
 * collected, and one error names them all with what each should look like. Values never appear
 * in the message (some are secret ids or URLs users may not want in logs).
 */

/** An environment that fails validation. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid function configuration: ${problems.join('; ')}`);
  }
}

/** Collects problems while reading variables; {@link EnvReader.done} throws them together. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The raw value, or undefined when unset or blank. */
  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** A required, non-blank value. */
  string(name: string, expected: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is missing (expected ${expected})`);
    return value ?? '';
  }

  /** An http(s) URL; plain http only on loopback (the local emulator). */
  url(name: string, example: string): string {
    const value = this.string(name, `a URL such as ${example}`);
    if (!value) return value;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    const loopback = parsed && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback))) {
      this.problems.push(`${name} must be an https URL such as ${example} (http only for 127.0.0.1)`);
    }
    return value.replace(/\/+$/, '');
  }

  /** `true` or `false` (case-insensitive); `fallback` when unset. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    this.problems.push(`${name} must be true or false`);
    return fallback;
  }

  /** A whole number within bounds; `fallback` when unset. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  /** Runs a parser that throws, recording its message as a problem. */
  parse<T>(name: string, parser: (value: string | undefined) => T, fallback: T): T {
    try {
      return parser(this.optional(name));
    } catch (error) {
      this.problems.push(error instanceof Error ? error.message : `${name} is invalid`);
      return fallback;
    }
  }

  /** Throws one {@link ConfigError} naming every problem found, if any. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
