/**
 * The benchmarks' workload: dataflows with failed runs in an emulator state, the failure alerts
 * Adobe would send about them (`failureAlertFor`), and the SNS events that carry them to the
 * function. Duplicates and order come from a seeded PRNG, so every run replays the same burst.
 */
import { randomUUID } from 'node:crypto';
import type { SNSEvent } from 'aws-lambda';
import { EVENT_ID_ATTRIBUTE } from '../contracts/environment';
import { type AlertPayload, failureAlertFor } from '../emulator/alerts';
import type { EmulatorState } from '../emulator/state';
import type { FlowObject, RunObject } from '../emulator/types';
import { snsRecordOf } from '../sandbox/delivery';
import { shuffled } from './stats';

/** The org of the benchmark credential. */
export const BENCH_ORG_ID = 'B3C4D5E6F7A8B9C0D1E2F3A4@AdobeOrg';
/** The sandbox every benchmark dataflow lives in. */
export const BENCH_SANDBOX = 'prod';
/** The credential the benchmarks register in the emulator and store in the secret. */
export const BENCH_CREDENTIAL = {
  clientId: 'bench-client',
  clientSecret: 'p8e-bench-not-a-secret',
  orgId: BENCH_ORG_ID,
  scopes: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext',
} as const;

/** Failed runs seeded in an emulator state, with their alerts. */
export interface SeededFailures {
  readonly flows: readonly FlowObject[];
  readonly runs: readonly RunObject[];
  /** One failure alert per run, same order. */
  readonly alerts: readonly AlertPayload[];
}

/** Adds `flowCount` enabled batch dataflows and `runCount` failed runs spread over them round-robin. */
export function seedFailures(state: EmulatorState, flowCount: number, runCount: number): SeededFailures {
  const flows: FlowObject[] = [];
  for (let i = 0; i < flowCount; i++) {
    flows.push(
      state.addFlow({
        name: `Bench dataflow ${i + 1} - orders.csv`,
        sandboxName: BENCH_SANDBOX,
        orgId: BENCH_ORG_ID,
      }),
    );
  }
  const runs: RunObject[] = [];
  const alerts: AlertPayload[] = [];
  for (let i = 0; i < runCount; i++) {
    const flow = flows[i % flowCount] as FlowObject;
    const run = state.addRun({ flowId: flow.id, status: 'failed' });
    runs.push(run);
    alerts.push(failureAlertFor(run, flow));
  }
  return { flows, runs, alerts };
}

/** One delivery of an alert: its SNS message and the I/O Events id it carries. */
export interface Delivery {
  readonly alert: AlertPayload;
  readonly eventId: string;
  /** True for a repeated delivery of an alert sent before. */
  readonly duplicate: boolean;
}

/**
 * Every alert once, plus `duplicates` of them (distinct, drawn by `random`) a second time with the
 * same event id, as I/O Events redelivers; the whole list shuffled by `random`.
 */
export function deliveriesWithDuplicates(
  alerts: readonly AlertPayload[],
  duplicates: number,
  random: () => number,
): Delivery[] {
  if (duplicates > alerts.length) throw new Error(`cannot repeat ${duplicates} of ${alerts.length} alerts`);
  const firsts = alerts.map((alert) => ({ alert, eventId: randomUUID(), duplicate: false }));
  const repeated = shuffled(firsts, random)
    .slice(0, duplicates)
    .map((first) => ({ ...first, duplicate: true }));
  return shuffled([...firsts, ...repeated], random);
}

/** The SNS event Lambda receives for one delivery from the alerts topic. */
export function snsEventFor(delivery: Delivery, topicArn: string): SNSEvent {
  return {
    Records: [
      snsRecordOf({
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        Message: JSON.stringify(delivery.alert),
        Timestamp: new Date().toISOString(),
        MessageAttributes: { [EVENT_ID_ATTRIBUTE]: { Type: 'String', Value: delivery.eventId } },
      }),
    ],
  };
}
