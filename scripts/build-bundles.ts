/**
 * Builds every Lambda entry to `dist/<name>/index.js` with the same settings `cdk synth` uses
 * (`lib/bundling.ts`), so tests, the local sandbox and benchmarks run the bundle that deploys.
 *
 * `npm run build` builds them all and prints their sizes; `buildBundles(['retrier'])` builds some.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions, LAMBDA_ENTRIES, type LambdaEntryName, PROJECT_ROOT } from '../lib/bundling';

/** Where `npm run build` writes the bundles. */
export const DIST_DIR = path.join(PROJECT_ROOT, 'dist');

/** One bundle that was built. */
export interface BuiltBundle {
  /** The entry name, e.g. `retrier`. */
  readonly name: LambdaEntryName;
  /** Absolute path of the bundle (`<outDir>/<name>/index.js`); its source map sits beside it. */
  readonly file: string;
  /** Size of the minified bundle, in bytes. */
  readonly bytes: number;
  /** Size of the bundle once gzipped, in bytes (close to what Lambda downloads). */
  readonly gzipBytes: number;
}

/** Options for {@link buildBundles}. */
export interface BuildBundlesOptions {
  /**
   * Folder to write `<name>/index.js` into.
   * @default `dist/` at the repository root
   */
  readonly outDir?: string;
}

/**
 * Bundles the named entries (all of them by default) with esbuild.
 * @throws Error naming the entry when its source file does not exist or esbuild fails
 */
export async function buildBundles(
  names: readonly LambdaEntryName[] = Object.keys(LAMBDA_ENTRIES) as LambdaEntryName[],
  options: BuildBundlesOptions = {},
): Promise<BuiltBundle[]> {
  const outDir = options.outDir ?? DIST_DIR;
  const built: BuiltBundle[] = [];
  for (const name of names) {
    const entry = LAMBDA_ENTRIES[name];
    if (entry === undefined) {
      throw new Error(`Unknown bundle "${name}"; known: ${Object.keys(LAMBDA_ENTRIES).join(', ')}`);
    }
    if (!existsSync(entry)) {
      throw new Error(`Cannot bundle "${name}": ${path.relative(PROJECT_ROOT, entry)} does not exist`);
    }
    const file = path.join(outDir, name, 'index.js');
    // Sequential on purpose: esbuild already uses every core for one bundle.
    await build(esbuildOptions(entry, file));
    const bytes = statSync(file).size;
    const gzipBytes = gzipSync(await readFile(file)).length;
    built.push({ name, file, bytes, gzipBytes });
  }
  return built;
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const bundles = await buildBundles();
  for (const bundle of bundles) {
    console.log(
      `${bundle.name.padEnd(10)} ${path.relative(PROJECT_ROOT, bundle.file)}  ${kilobytes(bundle.bytes)} minified, ${kilobytes(bundle.gzipBytes)} gzipped`,
    );
  }
  console.log(`built ${bundles.length} bundle(s) in ${Math.round(performance.now() - started)} ms`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
