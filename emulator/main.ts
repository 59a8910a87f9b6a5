/**
 * Runs the emulator as a process: `npm run emulator -- --port 8080 --seed`.
 * Stops cleanly on SIGINT and SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEMO_FLOW_IDS, DEMO_SANDBOX, seedDemo } from './seed';
import { startEmulator } from './server';

const HELP = `Flow Service + IMS emulator (Adobe Experience Platform), for tests and local runs.

Usage: npm run emulator -- [options]

Options:
  --port <n>                 TCP port (default 8080; 0 picks a free one)
  --host <addr>              address to listen on (default 127.0.0.1)
  --seed                     add a demo credential, dataflows and failed runs
  --latency-ms <n>           delay before every IMS / Flow Service answer (default 0)
  --token-lifetime <s>       expires_in of issued tokens, seconds (default 86399)
  --retrigger-response <r>   'tutorial' ({id, etag}) or 'run' (run object with eTag)
  --page-size <n>            default limit of GET /runs (default 50)
  -h, --help                 show this help

The admin API (no auth, loopback only) is documented in emulator/README.md.`;

function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got '${value}'`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'boolean', default: false },
      'latency-ms': { type: 'string' },
      'token-lifetime': { type: 'string' },
      'retrigger-response': { type: 'string' },
      'page-size': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const retriggerResponse = values['retrigger-response'];
  if (retriggerResponse !== undefined && retriggerResponse !== 'tutorial' && retriggerResponse !== 'run') {
    throw new Error(`--retrigger-response must be 'tutorial' or 'run', got '${retriggerResponse}'`);
  }

  const emulator = await startEmulator({
    port: wholeNumber(values.port, 'port'),
    host: values.host,
    latencyMs: wholeNumber(values['latency-ms'], 'latency-ms'),
    tokenLifetimeSeconds: wholeNumber(values['token-lifetime'], 'token-lifetime'),
    pageSize: wholeNumber(values['page-size'], 'page-size'),
    ...(retriggerResponse ? { retriggerResponse } : {}),
  });

  console.log(`Flow Service + IMS emulator listening on ${emulator.url}
  FLOW_SERVICE_URL=${emulator.flowServiceUrl}
  IMS_TOKEN_URL=${emulator.imsTokenUrl}
  admin API: ${emulator.url}/__admin  (POST reset | credentials | flows | runs | runs/{id}/complete | faults | tokens/expire;
             GET runs?flowId= | runs/{id}/lineage | calls?since= | stats; DELETE faults)`);

  if (values.seed) {
    const seed = seedDemo(emulator.state);
    const { clientId, clientSecret, orgId } = seed.credential;
    const failedRun = seed.runs.retryable.at(-1)?.id ?? '<RUN_ID>';
    console.log(`
Seeded sandbox '${DEMO_SANDBOX}':
  clientId: ${clientId}
  orgId:    ${orgId}
  client secret: a local demo value (DEMO_CREDENTIAL in emulator/seed.ts); it opens only this emulator
  flows: ${Object.entries(DEMO_FLOW_IDS)
    .map(([name, id]) => `${name}=${id}`)
    .join('\n         ')}
  failed runs to re-trigger: ${seed.runs.retryable.map((run) => run.id).join(', ')}

Try it:
  TOKEN=$(curl -s -X POST '${emulator.imsTokenUrl}' -H 'Content-Type: application/x-www-form-urlencoded' \\
    -d 'grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}&scope=openid,AdobeID' \\
    | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s -X POST '${emulator.flowServiceUrl}/runs/${failedRun}/action?op=re-trigger' \\
    -H "Authorization: Bearer $TOKEN" -H 'x-api-key: ${clientId}' \\
    -H 'x-gw-ims-org-id: ${orgId}' -H 'x-sandbox-name: ${DEMO_SANDBOX}'`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the emulator`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('emulator: could not stop cleanly', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`emulator: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Run with --help for the options.');
  process.exit(1);
});
