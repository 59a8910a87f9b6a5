/**
 * Where the CLI writes: stdout for results, stderr for progress and errors. Tests pass writers
 * that capture; the launcher passes the process's streams.
 */

/** The CLI's outside world. */
export interface CliIo {
  /** Results (text, or one JSON document with `--json`). */
  readonly stdout: (text: string) => void;
  /** Progress, notes and errors. */
  readonly stderr: (text: string) => void;
  /** Environment variables: `AWS_REGION`, `USER`, `AEP_AUTORETRY_STACK`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory `--local` paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
  /** Whether stderr is a terminal: progress then updates one line in place. @default false */
  readonly isTTY?: boolean;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stderr.isTTY === true,
  };
}

/** Writes a line to stdout. */
export function say(io: CliIo, line = ''): void {
  io.stdout(`${line}\n`);
}

/** Writes a line to stderr. */
export function note(io: CliIo, line: string): void {
  io.stderr(`${line}\n`);
}

/** Reports progress of long work on stderr. */
export interface Progress {
  /** Sets the count reached (and what was last done). */
  update(count: number, detail?: string): void;
  /** Ends the progress display. */
  done(): void;
}

/**
 * Progress on stderr: on a terminal one line updated in place; otherwise plain lines, one every
 * `every` items, so logs stay readable.
 */
export function progress(
  io: CliIo,
  label: string,
  options: { every?: number; total?: number } = {},
): Progress {
  const every = Math.max(1, options.every ?? 25);
  let shown = 0;
  let last = 0;
  const text = (count: number, detail?: string) =>
    `${label}: ${count}${options.total === undefined ? '' : `/${options.total}`}${detail ? ` (${detail})` : ''}`;
  return {
    update(count, detail) {
      last = count;
      if (io.isTTY) {
        io.stderr(`\r\x1b[K${text(count, detail)}`);
        shown = count;
      } else if (count - shown >= every) {
        io.stderr(`${text(count, detail)}\n`);
        shown = count;
      }
    },
    done() {
      if (io.isTTY && shown > 0) io.stderr('\n');
      else if (!io.isTTY && last > shown) io.stderr(`${text(last)}\n`);
    },
  };
}

/** An epoch-ms moment as ISO text, or `-`. */
export function isoTime(epochMs: number | undefined): string {
  return epochMs === undefined || epochMs <= 0 ? '-' : new Date(epochMs).toISOString();
}

/** Lays rows out in columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => row[index]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}
