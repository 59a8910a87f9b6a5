/**
 * Bundles the retrier for real, once through the build script and once through `cdk synth`, and
 * checks the deployable asset: CommonJS, small, and the very bundle tests and the sandbox run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Script } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { AepDataflowAutoRetryStack } from '../../lib/aep-dataflow-auto-retry-stack';
import { type BuiltBundle, buildBundles } from '../../scripts/build-bundles';

const MAX_BUNDLE_BYTES = 500 * 1024;

describe('the retrier bundle', () => {
  let workDir: string;
  let built: BuiltBundle;
  let assetDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'retrier-bundle-'));
    const [bundle] = await buildBundles(['retrier'], { outDir: path.join(workDir, 'dist') });
    built = bundle!;

    const app = new App({ outdir: path.join(workDir, 'cdk.out') });
    new AepDataflowAutoRetryStack(app, 'Bundled');
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    const withIndex = assets
      .map((name) => path.join(assembly.directory, name))
      .filter((dir) => existsSync(path.join(dir, 'index.js')));
    expect(withIndex).toHaveLength(1);
    assetDir = withIndex[0]!;
  }, 120_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('builds dist/retrier/index.js with a source map that leaves the sources out', () => {
    // Prepare
    const map = JSON.parse(readFileSync(`${built.file}.map`, 'utf8')) as { sourcesContent?: unknown };

    // Assess
    expect(built.file).toBe(path.join(workDir, 'dist', 'retrier', 'index.js'));
    expect(map.sourcesContent).toBeUndefined();
  });

  it('is CommonJS: it compiles as a CommonJS module body and assigns module.exports', () => {
    // Prepare
    const code = readFileSync(path.join(assetDir, 'index.js'), 'utf8');

    // Act
    const compile = () =>
      new Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`);

    // Assess
    expect(compile).not.toThrow();
    expect(code).toMatch(/module\.exports\s*=/);
    expect(code).not.toMatch(/import\.meta/);
  });

  it('stays under 500 KB minified', () => {
    // Prepare
    const size = readFileSync(path.join(assetDir, 'index.js')).length;

    // Assess
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    expect(built.bytes).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('deploys exactly the bundle the build script makes', () => {
    // Prepare
    const deployed = readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    const local = readFileSync(built.file, 'utf8');

    // Assess
    expect(deployed).toBe(local);
  });
});
