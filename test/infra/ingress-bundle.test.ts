/**
 * Bundles the ingress and the sweep for real, through the build script and through `cdk synth`:
 * CommonJS, small, and byte for byte what the tests and the sandbox run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Script } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { AepDataflowAutoRetryStack } from '../../lib/aep-dataflow-auto-retry-stack';
import { type BuiltBundle, buildBundles } from '../../scripts/build-bundles';

const MAX_BUNDLE_BYTES = 500 * 1024;

describe('the ingress and sweep bundles', () => {
  let workDir: string;
  let built: BuiltBundle[];
  let assets: string[];

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'route-bundles-'));
    built = await buildBundles(['ingress', 'sweep'], { outDir: path.join(workDir, 'dist') });
    const app = new App({ outdir: path.join(workDir, 'cdk.out') });
    new AepDataflowAutoRetryStack(app, 'Bundled', {
      webhook: { clientIds: ['abc'] },
      sweep: { sandboxes: ['prod'] },
    });
    const assembly = app.synth();
    assets = readdirSync(assembly.directory)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => path.join(assembly.directory, name, 'index.js'))
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8'));
  }, 120_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it.each(['ingress', 'sweep'])('builds %s as CommonJS without import.meta, under 500 KB', (name) => {
    // Prepare
    const bundle = built.find((entry) => entry.name === name)!;
    const code = readFileSync(bundle.file, 'utf8');

    // Act
    const compile = () =>
      new Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`);

    // Assess
    expect(compile).not.toThrow();
    expect(code).toMatch(/module\.exports\s*=/);
    expect(code).not.toMatch(/import\.meta/);
    expect(bundle.bytes).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('deploys exactly the bundles the build script makes', () => {
    // Assess
    expect(assets).toHaveLength(3);
    for (const bundle of built) {
      expect(assets).toContain(readFileSync(bundle.file, 'utf8'));
    }
  });
});
