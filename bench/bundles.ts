/**
 * Builds everything the benchmarks load, into a temporary folder: the retrier exactly as it
 * deploys (`buildBundles`), and with the same esbuild options (`esbuildOptions`) the cold-import
 * baselines, the tutorial's flow and the worker harness. Also reads the retrier's composition
 * (bytes per package) from an esbuild metafile.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions, LAMBDA_ENTRIES } from '../lib/bundling';
import { buildBundles } from '../scripts/build-bundles';

/** A built bundle and its sizes. */
export interface BenchBundle {
  readonly file: string;
  /** Minified size in bytes. */
  readonly bytes: number;
  /** Gzipped size in bytes. */
  readonly gzipBytes: number;
}

/** Bytes of the minified retrier that come from one package (or the project's own code). */
export interface PackageShare {
  readonly name: string;
  readonly bytes: number;
}

/** The bundles of one benchmark run. */
export interface BenchBundles {
  readonly retrier: BenchBundle;
  /** The baseline: the Secrets Manager and SNS clients only. */
  readonly sdkOnly: BenchBundle;
  /** The four SDK clients the retrier uses (Secrets Manager, SNS, DynamoDB, SQS). */
  readonly awsClients: BenchBundle;
  /** An empty module: node's own start-up. */
  readonly empty: BenchBundle;
  /** A module that only makes a `Request`: Node's fetch (undici) starting up. */
  readonly fetch: BenchBundle;
  readonly tutorial: BenchBundle;
  /** The child-process harness (`bench/worker.ts`); not measured itself. */
  readonly worker: string;
  /** The retrier's minified bytes by package, largest first. */
  readonly retrierComposition: readonly PackageShare[];
}

async function buildOne(entry: string, outfile: string): Promise<BenchBundle> {
  await build(esbuildOptions(entry, outfile));
  return {
    file: outfile,
    bytes: statSync(outfile).size,
    gzipBytes: gzipSync(readFileSync(outfile)).length,
  };
}

/** `node_modules/@scope/name/...` → `@scope/name`; project files → `(this project: <folder>)`. */
function packageOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return `(this project: ${parts[0] ?? input}/)`;
  const first = parts[at + 1] ?? input;
  return first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first;
}

async function composition(outDir: string): Promise<PackageShare[]> {
  const outfile = path.join(outDir, 'retrier-metafile', 'index.js');
  const result = await build({ ...esbuildOptions(LAMBDA_ENTRIES.retrier, outfile), metafile: true });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('index.js'))?.[1];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Builds the bundles under `outDir` (`<name>/index.js`). */
export async function buildBenchBundles(outDir: string): Promise<BenchBundles> {
  const [built] = await buildBundles(['retrier'], { outDir });
  if (!built) throw new Error('buildBundles returned no retrier bundle');
  const here = __dirname;
  const entry = (name: string) => path.join(here, 'entries', `${name}.ts`);
  const out = (name: string) => path.join(outDir, name, 'index.js');
  return {
    retrier: { file: built.file, bytes: built.bytes, gzipBytes: built.gzipBytes },
    sdkOnly: await buildOne(entry('sdk-only'), out('sdk-only')),
    awsClients: await buildOne(entry('aws-clients'), out('aws-clients')),
    empty: await buildOne(entry('empty'), out('empty')),
    fetch: await buildOne(entry('fetch'), out('fetch')),
    tutorial: await buildOne(path.join(here, 'tutorial-flow.ts'), out('tutorial')),
    worker: (await buildOne(path.join(here, 'worker.ts'), out('worker'))).file,
    retrierComposition: await composition(outDir),
  };
}
