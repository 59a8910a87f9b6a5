/**
 * How Lambda code is bundled: the one source of truth for `NodejsFunction` (deploy) and
 * `scripts/build-bundles.ts` (tests, local sandbox, benchmarks), so what runs locally is byte for
 * byte what deploys. This file points at entries by path and never imports runtime code.
 */
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The repository root: `projectRoot` for bundling and the base of every entry path. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The lock file `NodejsFunction` hashes and reads; explicit so bundling never guesses. */
export const DEPS_LOCK_FILE = path.join(PROJECT_ROOT, 'package-lock.json');

/**
 * Every Lambda entry, by name. The name is the bundle's folder (`dist/<name>/index.js`) and each
 * entry exports {@link HANDLER_EXPORT}. Adding a function is one line here.
 */
export const LAMBDA_ENTRIES = {
  retrier: path.join(PROJECT_ROOT, 'lambda', 'retrier', 'handler.ts'),
  ingress: path.join(PROJECT_ROOT, 'lambda', 'ingress', 'handler.ts'),
  sweep: path.join(PROJECT_ROOT, 'lambda', 'sweep', 'handler.ts'),
} as const satisfies Record<string, string>;

/** A name from {@link LAMBDA_ENTRIES}. */
export type LambdaEntryName = keyof typeof LAMBDA_ENTRIES;

/** The export every entry provides; the Lambda handler string is `index.<HANDLER_EXPORT>`. */
export const HANDLER_EXPORT = 'handler';

/**
 * The settings both consumers share. CommonJS because the jest integration tests `require` the
 * bundle in-process; `mainFields` prefers ES module builds, which tree-shake far better (the SNS
 * client with ky: 480 KB without, 328 KB with); sources are left out of the map to keep the asset
 * small while stack traces still resolve with `--enable-source-maps`.
 */
const SHARED = {
  target: 'node24',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
} as const;

/**
 * Module aliases: the SDK's default credential chain is replaced by the environment provider
 * Lambda actually uses (`lambda/shared/lambda-credentials.ts`). The chain's unused sources and their
 * nested STS/SSO clients were about 90 KB, a sixth of the retrier bundle.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': path.join(PROJECT_ROOT, 'lambda', 'shared', 'lambda-credentials.ts'),
};

/**
 * Bundling options for `NodejsFunction`. The AWS SDK is bundled (`bundleAwsSDK`), which pins its
 * version inside the asset instead of taking whatever the runtime ships; nothing is external.
 */
export function lambdaBundling(): BundlingOptions {
  return {
    format: OutputFormat.CJS,
    target: SHARED.target,
    minify: SHARED.minify,
    sourceMap: SHARED.sourceMap,
    sourcesContent: SHARED.sourcesContent,
    mainFields: [...SHARED.mainFields],
    bundleAwsSDK: true,
    externalModules: [],
    esbuildArgs: Object.fromEntries(
      Object.entries(BUNDLE_ALIASES).map(([module, target]) => [`--alias:${module}`, target]),
    ),
  };
}

/**
 * The same settings as esbuild JS API options, for one entry written to `outfile`.
 * @param entry absolute path of the TypeScript entry
 * @param outfile absolute path of the bundle to write, e.g. `dist/retrier/index.js`
 */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: SHARED.target,
    minify: SHARED.minify,
    sourcemap: SHARED.sourceMap,
    sourcesContent: SHARED.sourcesContent,
    mainFields: [...SHARED.mainFields],
    alias: { ...BUNDLE_ALIASES },
    external: [],
    logLevel: 'warning',
  };
}

/**
 * The `NodejsFunction` props every function of the app shares: its entry, bundled with
 * {@link lambdaBundling}, on the runtime and architecture the bundle targets (nodejs24.x, arm64).
 */
export function bundledFunctionProps(name: LambdaEntryName): NodejsFunctionProps {
  return {
    entry: LAMBDA_ENTRIES[name],
    handler: HANDLER_EXPORT,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: DEPS_LOCK_FILE,
    bundling: lambdaBundling(),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
  };
}
