/**
 * Intercepts what this process writes to stdout and stderr. The functions log JSON lines there, as
 * on Lambda (Powertools writes INFO to stdout, WARN and ERROR to stderr, and Lambda sends both to
 * the log group); the local sandbox files them and tests read them.
 */

/** What to do with a chunk: let it reach the terminal, or keep it from it. */
export type OutputDecision = 'pass' | 'swallow';

/**
 * Calls `onText` with every chunk written to stdout and stderr until the returned function is
 * called, which puts the streams back.
 */
export function interceptOutput(
  onText: (text: string, stream: 'stdout' | 'stderr') => OutputDecision,
): () => void {
  const restorers = (['stdout', 'stderr'] as const).map((name) => {
    const stream = process[name];
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (onText(text, name) === 'pass') return original(chunk as string, ...(rest as []));
      const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const restore of restorers) restore();
  };
}

/** The non-empty lines of a chunk. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim().length > 0);
}
