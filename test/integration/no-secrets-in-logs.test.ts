/**
 * No secret in any log line (issue 2): everything the real bundle writes to stdout and stderr over
 * a run with successes, a token refresh, an alert kept through every retry and a configuration
 * error (IMS refuses the stored client secret) holds neither the client secret, nor any access
 * token the emulator issued, nor an Authorization header. Outcome messages and on-failure records
 * hold neither.
 */
import type { OutcomeMessage } from '../../contracts/outcome';
import type { IssuedToken } from '../../emulator/types';
import type { OnFailureRecord } from '../../sandbox/local-lambda';
import {
  type AlertLogLine,
  alertLogLines,
  captureOutput,
  drainOnFailure,
  startWorld,
  type World,
} from '../support/local-world';

const POST_RETRIGGER = { method: 'POST', path: '^/runs/[^/]+/action$' } as const;

let world: World;
let output: ReturnType<typeof captureOutput>;
let issuedTokens: () => string[];
const outcomes: OutcomeMessage[] = [];
const onFailure: OnFailureRecord[] = [];
let logged: AlertLogLine[];

beforeAll(async () => {
  // Prepare: capture from before the first cold start, so nothing the bundle writes escapes.
  output = captureOutput();
  world = await startWorld();
  const issue = jest.spyOn(world.emulator.state, 'issueToken');
  issuedTokens = () =>
    issue.mock.results.flatMap((result) =>
      result.type === 'return' ? [(result.value as IssuedToken).access_token] : [],
    );
  const flow = world.addFlow();

  // Act: two successes.
  for (const { alert } of [world.failedRun(flow), world.failedRun(flow)]) await world.publishAlert(alert);
  await world.deliver();

  // Act: the token expires; the next alert gets a 401 and a fresh token.
  world.emulator.state.expireTokens();
  await world.publishAlert(world.failedRun(flow).alert);
  await world.deliver();

  // Act: an alert kept through every retry, then sent to the on-failure queue.
  world.emulator.state.addFault({ ...POST_RETRIGGER, status: 503, times: 0, retryAfterSeconds: 0 });
  await world.publishAlert(world.failedRun(flow).alert);
  await world.deliver();
  world.emulator.state.clearFaults();

  // Act: the secret now holds a client secret IMS refuses (rotated at Adobe, not in the secret).
  world.emulator.state.addCredential({
    clientId: world.credential.clientId,
    clientSecret: `rotated-${world.credential.clientSecret}`,
    orgId: world.credential.orgId,
  });
  await world.publishAlert(world.failedRun(flow).alert);
  await world.deliver({ handler: world.newContainer() });

  outcomes.push(...(await world.outcomes()));
  onFailure.push(...(await drainOnFailure(world)));
  output.restore();
  logged = alertLogLines(output.lines());
});

afterAll(async () => {
  output.restore();
  await world.close();
});

it('covers successes, a token refresh, a kept alert and a configuration error', () => {
  // Assess
  expect(issuedTokens()).toHaveLength(2);
  expect(logged.filter((line) => line.outcome === 'retriggered')).toHaveLength(3);
  expect(logged.filter((line) => line.errorKind === 'transient')).toHaveLength(3);
  expect(logged.filter((line) => line.errorKind === 'configuration')).toHaveLength(3);
  expect(onFailure).toHaveLength(2);
});

it('writes no client secret, access token or Authorization header to any log line', () => {
  // Prepare
  const lines = output.lines();
  const secrets = [world.credential.clientSecret, ...issuedTokens()];

  // Assess
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    for (const secret of secrets) expect(line).not.toContain(secret);
    expect(line).not.toMatch(/authorization/i);
    expect(line).not.toMatch(/bearer\s+\S{8,}/i);
  }
});

it('names the client id and the fix in the configuration error line', () => {
  // Assess
  const [first] = logged.filter((line) => line.errorKind === 'configuration');
  expect(first?.level).toBe('ERROR');
  expect(first?.reason).toContain(`client ${world.credential.clientId}`);
  expect(first?.reason).toContain('401 invalid_client');
  expect(first?.reason).toContain('check clientId, clientSecret and scopes in the credential secret');
});

it('puts no secret or token in outcome messages and on-failure records', () => {
  // Prepare
  const published = JSON.stringify([outcomes, onFailure]);

  // Assess
  expect(outcomes.filter((outcome) => outcome.outcome === 'retriggered')).toHaveLength(3);
  expect(published).not.toContain(world.credential.clientSecret);
  for (const token of issuedTokens()) expect(published).not.toContain(token);
  expect(published).not.toMatch(/authorization/i);
});
