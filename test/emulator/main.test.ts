import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_CREDENTIAL, DEMO_FLOW_IDS } from '../../emulator/seed';

const ROOT = join(__dirname, '..', '..');

/** Starts `tsx emulator/main.ts` and resolves with its output once the seed summary is printed. */
function startMain(args: string[]): {
  child: ChildProcess;
  ready: Promise<string>;
  exited: Promise<number | null>;
} {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['emulator/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("x-sandbox-name: prod'")) resolve(output);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', () => reject(new Error(`emulator exited early:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

describe('emulator main (npm run emulator)', () => {
  it('starts seeded, serves the demo flows and stops on SIGTERM', async () => {
    // Prepare
    const { child, ready, exited } = startMain(['--port', '0', '--seed']);

    try {
      // Act
      const output = await ready;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
      const token = (await (
        await fetch(`${url}/ims/token/v3`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: DEMO_CREDENTIAL.clientId,
            client_secret: DEMO_CREDENTIAL.clientSecret,
            scope: 'openid',
          }).toString(),
        })
      ).json()) as { access_token: string };
      const flows = await fetch(`${url}/__admin/flows`).then(
        (response) => response.json() as Promise<{ items: { id: string }[] }>,
      );
      child.kill('SIGTERM');
      const code = await exited;

      // Assess
      expect(output).toContain(`FLOW_SERVICE_URL=${url}/data/foundation/flowservice`);
      expect(output).toContain(`IMS_TOKEN_URL=${url}/ims/token/v3`);
      expect(output).toContain(DEMO_CREDENTIAL.orgId);
      expect(output).toContain('local demo value');
      expect(token.access_token).toEqual(expect.any(String));
      expect(flows.items.map((flow) => flow.id).sort()).toEqual(Object.values(DEMO_FLOW_IDS).sort());
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('prints help and exits', async () => {
    // Prepare
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['emulator/main.ts', '--help'], {
      cwd: ROOT,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });

    // Act
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Assess
    expect(code).toBe(0);
    expect(output).toContain('--seed');
    expect(output).toContain('--retrigger-response');
  });

  it('rejects an unknown option with exit code 1', async () => {
    // Prepare
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['emulator/main.ts', '--nope'], {
      cwd: ROOT,
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });

    // Act
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Assess
    expect(code).toBe(1);
    expect(errors).toContain('--nope');
  });
});
