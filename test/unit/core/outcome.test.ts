import { buildOutcome, outcomeSubject } from '../../../lambda/core/outcome';

const ids = {
  runId: 'f0b809c5-603d-4d6e-9600-977cb2e277b4',
  flowId: 'c0cb4b5b-367f-4946-a6cc-f7ccfe005b89',
  flowName: 'Dataflow - wx_medallia_export_combined.csv',
  sandboxName: 'dev',
  imsOrgId: '4353388057AC8D357F000101@AdobeOrg',
  errorCodes: ['CONNECTOR-1001-500', '2200'],
};
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('buildOutcome', () => {
  it('builds the contract body of a re-trigger', () => {
    // Act
    const message = buildOutcome({
      outcome: 'retriggered',
      ids,
      attempt: 1,
      maxAttempts: 3,
      reason: 're-triggered as run 3fb0418e-1804-45d6-8d56-dd51f05c0baf',
      now: NOW,
      newRunId: '3fb0418e-1804-45d6-8d56-dd51f05c0baf',
    });

    // Assess
    expect(message).toEqual({
      outcome: 'retriggered',
      runId: ids.runId,
      flowId: ids.flowId,
      flowName: ids.flowName,
      sandboxName: 'dev',
      imsOrgId: ids.imsOrgId,
      attempt: 1,
      maxAttempts: 3,
      reason: 're-triggered as run 3fb0418e-1804-45d6-8d56-dd51f05c0baf',
      errorCodes: ['CONNECTOR-1001-500', '2200'],
      newRunId: '3fb0418e-1804-45d6-8d56-dd51f05c0baf',
      at: '2026-12-04T12:00:00.000Z',
    });
  });

  it('adds the root and the chain, ending with this run, past the first attempt', () => {
    // Act
    const message = buildOutcome({
      outcome: 'exhausted',
      ids: { ...ids, runId: 'run-2', errorCodes: ['2200'] },
      attempt: 3,
      maxAttempts: 2,
      reason: 'spent',
      now: NOW,
      lineage: {
        rootRunId: 'run-0',
        parentRunId: 'run-1',
        attempt: 2,
        chain: [
          { runId: 'run-0', attempt: 0, errorCodes: ['CONNECTOR-1001-500'] },
          { runId: 'run-1', attempt: 1, errorCodes: ['CONNECTOR-3001-500'] },
        ],
      },
    });

    // Assess
    expect(message.rootRunId).toBe('run-0');
    expect(message.chain).toEqual([
      { runId: 'run-0', attempt: 0, errorCodes: ['CONNECTOR-1001-500'] },
      { runId: 'run-1', attempt: 1, errorCodes: ['CONNECTOR-3001-500'] },
      { runId: 'run-2', attempt: 2, errorCodes: ['2200'] },
    ]);
  });

  it('uses nulls, not missing fields, for an unreadable alert', () => {
    // Act
    const message = buildOutcome({
      outcome: 'rejected',
      ids: {},
      attempt: null,
      maxAttempts: 3,
      reason: 'not JSON',
      now: NOW,
    });

    // Assess
    expect(message).toMatchObject({
      runId: null,
      flowId: null,
      sandboxName: null,
      imsOrgId: null,
      attempt: null,
      errorCodes: [],
    });
  });
});

describe('outcomeSubject', () => {
  it('says what happened in one short ASCII line', () => {
    // Prepare
    const message = buildOutcome({
      outcome: 'scheduled',
      ids: { ...ids, flowName: 'Flüsse ✓ '.repeat(20) },
      attempt: 2,
      maxAttempts: 3,
      reason: 'due',
      now: NOW,
      dueAt: NOW + 300_000,
    });

    // Act
    const subject = outcomeSubject(message);

    // Assess
    expect(
      subject.startsWith('AEP run f0b809c5 re-trigger scheduled for 12:05 UTC (attempt 2/3) - Fl?sse ? '),
    ).toBe(true);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
