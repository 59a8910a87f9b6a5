/** Stops the moto_server the global setup started. */
import type { MotoServer } from '../../sandbox/moto';

export default async function globalTeardown(): Promise<void> {
  const moto = (globalThis as { __moto?: MotoServer }).__moto;
  if (moto) await moto.stop();
  else if (process.env.MOTO_PID) process.kill(Number(process.env.MOTO_PID), 'SIGTERM');
}
