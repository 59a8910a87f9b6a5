/**
 * The CLI's usage errors, help and exit codes in process, and the `bin` entry through real
 * `npx aep-autoretry` processes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMMANDS } from '../../cli/main';
import { cli } from './support';

const ROOT = resolve(__dirname, '..', '..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aep-autoretry-cli-errors-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npx aep-autoretry ...` from the project root, as an operator would. */
function npx(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      'npx',
      ['aep-autoretry', ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('in process', () => {
  it('fails with the way to start one when no sandbox outputs file exists', async () => {
    // Act
    const result = await cli(['status', 'run-1', '--local'], { cwd: dir });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No sandbox outputs at ${join(dir, '.sandbox', 'outputs.json')}`);
    expect(result.stderr).toContain('npm start -- --keep');
  });

  it('fails when the sandbox that wrote the outputs file no longer runs', async () => {
    // Prepare
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    const file = join(dir, 'stale.json');
    writeFileSync(
      file,
      JSON.stringify({ pid: ended, awsEndpoint: 'http://127.0.0.1:1', resources: {}, env: {} }),
    );

    // Act
    const result = await cli(['status', 'run-1', '--local', file]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`(pid ${ended}) is no longer running`);
  });

  it('rejects an unknown command with exit code 2 and a hint', async () => {
    // Act
    const result = await cli(['stauts', 'run-1', '--local']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unknown command "stauts" (did you mean "status"?)');
  });

  it('rejects an unknown option of a command', async () => {
    // Act
    const result = await cli(['pause', 'flow-1', '--for', '2h', '--local']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown option --for for "pause"');
    expect(result.stderr).toContain('Run "aep-autoretry pause --help" for usage.');
  });

  it('rejects a missing run id before looking for a target', async () => {
    // Act
    const result = await cli(['status', '--local', join(dir, 'absent.json')]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing <runId>: aep-autoretry status <runId>');
  });

  it('rejects a command without a target', async () => {
    // Act
    const result = await cli(['status', 'run-1'], { env: {} });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no target: give --stack <name>');
  });

  it('rejects --stack together with --local', async () => {
    // Act
    const result = await cli(['status', 'run-1', '--stack', 'AepDataflowAutoRetry', '--local']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give either --stack or --local, not both');
  });

  it.each(COMMANDS.map((command) => command.name))('prints the help of %s', async (name) => {
    // Act
    const result = await cli([name, '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: aep-autoretry ${name} `));
    expect(result.stdout).toContain('Examples:');
  });

  it('prints the command list on stderr and exits 2 when no command is given', async () => {
    // Act
    const result = await cli([]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Commands:');
  });
});

describe('the bin entry', () => {
  it('runs npx aep-autoretry --help and --version on Node 24', async () => {
    // Act
    const [help, version] = await Promise.all([npx(['--help']), npx(['--version'])]);

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: aep-autoretry <command>');
    expect(help.stdout).toContain('redrive');
    expect(version.stdout).toMatch(/^aep-autoretry \d+\.\d+\.\d+ \(node v24\./);
  });

  it('exits 2 with the usage error for a missing argument', async () => {
    // Act
    const result = await npx(['retry']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing <runId>');
  });

  it('fails with the fix when AWS credentials are missing', async () => {
    // Prepare: no credentials anywhere the SDK looks, and no metadata service
    const home = mkdtempSync(join(tmpdir(), 'aep-autoretry-home-'));
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    };

    // Act
    const result = await npx(
      ['status', 'run-1', '--stack', 'AepDataflowAutoRetry', '--region', 'eu-west-1'],
      env,
    );

    // Assess
    rmSync(home, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('AWS credentials are missing (reading stack AepDataflowAutoRetry)');
  });
});
