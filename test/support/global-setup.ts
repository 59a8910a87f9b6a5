/**
 * Starts one moto_server for the whole test run and points the AWS SDK of every test worker at it,
 * and builds the Lambda bundles once (the integration tests run the bundle that deploys).
 * Workers start after this runs, so they inherit the environment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoEnvironment, startMoto } from '../../sandbox/moto';
import { buildBundles } from '../../scripts/build-bundles';

export default async function globalSetup(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'aep-autoretry-bundles-'));
  const [moto] = await Promise.all([startMoto(), buildBundles(undefined, { outDir })]);
  Object.assign(process.env, motoEnvironment(moto.endpoint));
  process.env.MOTO_PID = String(moto.pid);
  process.env.TEST_BUNDLE_DIR = outDir;
  (globalThis as { __moto?: typeof moto }).__moto = moto;
}
