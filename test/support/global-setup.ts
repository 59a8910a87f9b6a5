/**
 * Starts one moto_server for the whole test run and points the AWS SDK of every test worker at it.
 * Workers start after this runs, so they inherit the environment.
 */
import { motoEnvironment, startMoto } from '../../sandbox/moto';

export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  Object.assign(process.env, motoEnvironment(moto.endpoint));
  process.env.MOTO_PID = String(moto.pid);
  (globalThis as { __moto?: typeof moto }).__moto = moto;
}
