/**
 * Turns one benchmark run into `bench/results.md`: machine, each measurement with medians and
 * percentiles, the targets with PASS/MISS, the tutorial comparison, the cost table and how to
 * reproduce. Pure: the orchestrator gathers the figures, this only formats them.
 */
import type { BenchBundles } from './bundles';
import { lambdaNodeFlags } from './children';
import type { ColdImportResult } from './cold-import';
import { type CostEstimate, type ItemSizes, PRICES_AS_OF, PRICES_REGION } from './cost';
import { duplicateRuns, type FlavorRun, postsPerRun, serviceCalls } from './emulator-runs';
import type { FunctionSettings } from './function-settings';
import { fixed, kb, mb, type Summary, times, usd } from './stats';
import type { WarmOverheadResult } from './warm-overhead';

/** The machine the figures come from. */
export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly totalMemoryBytes: number;
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
  readonly commit: string;
}

/** One target and how the run did against it. */
export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
  /** When missed: by how much and why. */
  readonly note?: string;
}

/** A correctness check: a failed one fails the run. */
export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

/** Everything one run measured. */
export interface BenchResults {
  readonly startedAt: Date;
  readonly totalMs: number;
  readonly machine: Machine;
  readonly settings: FunctionSettings;
  readonly bundles: BenchBundles;
  readonly coldImport: ColdImportResult;
  readonly warm: WarmOverheadResult;
  readonly calls: { readonly retrier: FlavorRun; readonly tutorial: FlavorRun };
  readonly burst: { readonly retrier: FlavorRun; readonly tutorial: FlavorRun };
  readonly ledgerItems: ItemSizes;
  readonly cost: {
    readonly calls: { readonly retrier: CostEstimate; readonly tutorial: CostEstimate };
    readonly burst: { readonly retrier: CostEstimate; readonly tutorial: CostEstimate };
  };
  readonly targets: readonly Target[];
  readonly checks: readonly Check[];
  readonly steps: readonly { readonly name: string; readonly ms: number }[];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function ms(value: number, digits = 1): string {
  return `${fixed(value, digits)} ms`;
}

function summaryMs(summary: Summary): string {
  return `${ms(summary.p50)} / ${ms(summary.p90)} / ${ms(summary.p99)}`;
}

function perAlert(count: number, alerts: number): string {
  return fixed(count / alerts, 3);
}

function histogram(run: FlavorRun): string {
  return Object.entries(postsPerRun(run))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([posts, runs]) => `${runs} runs × ${posts}`)
    .join(', ');
}

function emulatorCalls(run: FlavorRun, route: string): number {
  return run.emulator.requests.byRoute[route] ?? 0;
}

/** The per-alert call table of step 3, every route and operation either flavor used. */
function callRows(retrier: FlavorRun, tutorial: FlavorRun): string[][] {
  const routes: [string, string][] = [
    ['Flow Service', 'runs.get'],
    ['Flow Service', 'flows.get'],
    ['Flow Service', 'runs.list'],
    ['Flow Service', 'runs.action'],
    ['IMS', 'ims.token'],
  ];
  const labels: Record<string, string> = {
    'runs.get': 'GET /runs/{id}',
    'flows.get': 'GET /flows/{id}',
    'runs.list': 'GET /runs (list)',
    'runs.action': 'POST /runs/{id}/action?op=re-trigger',
    'ims.token': 'POST /ims/token/v3',
  };
  const rows: string[][] = routes.map(([system, route]) => [
    system,
    labels[route] ?? route,
    perAlert(emulatorCalls(retrier, route), retrier.alerts),
    perAlert(emulatorCalls(tutorial, route), tutorial.alerts),
  ]);
  const services: [string, string][] = [
    ['secretsmanager', 'Secrets Manager'],
    ['dynamodb', 'DynamoDB'],
    ['sns', 'SNS'],
    ['sqs', 'SQS'],
  ];
  for (const [service, label] of services) {
    const operations = new Set([
      ...Object.keys(retrier.aws.calls[service] ?? {}),
      ...Object.keys(tutorial.aws.calls[service] ?? {}),
    ]);
    if (operations.size === 0) rows.push([label, '(none)', '0', '0']);
    for (const operation of [...operations].sort()) {
      const refused = retrier.aws.errors[service]?.[operation];
      rows.push([
        label,
        `${operation}${refused ? ` (${refused} answered 4xx/5xx)` : ''}`,
        perAlert(retrier.aws.calls[service]?.[operation] ?? 0, retrier.alerts),
        perAlert(tutorial.aws.calls[service]?.[operation] ?? 0, tutorial.alerts),
      ]);
    }
  }
  const total = (run: FlavorRun) =>
    run.emulator.requests.total +
    ['secretsmanager', 'dynamodb', 'sns', 'sqs'].reduce(
      (sum, service) => sum + serviceCalls(run.aws.calls, service),
      0,
    );
  rows.push([
    '**all**',
    '',
    `**${perAlert(total(retrier), retrier.alerts)}**`,
    `**${perAlert(total(tutorial), tutorial.alerts)}**`,
  ]);
  return rows;
}

function burstRows(retrier: FlavorRun, tutorial: FlavorRun, memoryMb: number): string[][] {
  const row = (label: string, of: (run: FlavorRun) => string) => [label, of(retrier), of(tutorial)];
  const durations = (run: FlavorRun) => {
    const sorted = [...run.worker.report.callDurationsMs].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    return `${ms(at(50))} / ${ms(at(99))}`;
  };
  return [
    row(
      'alerts delivered (distinct failed runs + repeats)',
      (run) => `${run.alerts} (${run.workload.failedRuns} + ${run.workload.duplicates})`,
    ),
    row('dataflows', (run) => String(run.workload.flows)),
    row('in flight', (run) => String(run.workload.concurrency)),
    row('re-trigger POSTs per failed run', histogram),
    row('duplicate runs created', (run) => `**${duplicateRuns(run)}**`),
    row('runs created in total', (run) => String(run.emulator.retriggers.total)),
    row('IMS tokens minted', (run) => `**${run.emulator.tokensMinted.total}**`),
    row('Secrets Manager reads', (run) => String(serviceCalls(run.aws.calls, 'secretsmanager'))),
    row('Flow Service calls', (run) =>
      String(
        Object.entries(run.emulator.requests.byRoute)
          .filter(([route]) => route !== 'ims.token')
          .reduce((sum, [, count]) => sum + count, 0),
      ),
    ),
    row('AWS calls (all services)', (run) =>
      String(
        ['secretsmanager', 'dynamodb', 'sns', 'sqs'].reduce(
          (sum, service) => sum + serviceCalls(run.aws.calls, service),
          0,
        ),
      ),
    ),
    row('wall time', (run) => ms(run.worker.report.wallMs, 0)),
    row('alerts / second', (run) => `**${fixed(run.alerts / (run.worker.report.wallMs / 1000), 0)}**`),
    row('handler call p50 / p99 (under 50-way contention)', durations),
    row(
      'handler calls (retries included) / on-failure',
      (run) => `${run.worker.report.calls} / ${run.worker.report.onFailure}`,
    ),
    row(
      'peak RSS (kernel maxRSS) / sampled',
      (run) => `${mb(run.worker.report.maxRssBytes)} / ${mb(run.worker.report.rssPeakSampledBytes)}`,
    ),
    row(`peak RSS ÷ ${memoryMb} MB`, (run) =>
      fixed(run.worker.report.maxRssBytes / (memoryMb * 1024 * 1024), 2),
    ),
  ];
}

function costTable(retrier: CostEstimate, tutorial: CostEstimate): string {
  const rows = retrier.lines.map((line, index) => {
    const other = tutorial.lines[index];
    return [line.item, usd(line.usd), line.basis, other ? usd(other.usd) : '', other?.basis ?? ''];
  });
  rows.push(['**total**', `**${usd(retrier.totalUsd)}**`, '', `**${usd(tutorial.totalUsd)}**`, '']);
  return table(
    ['item (per 1,000 alerts)', 'retrier', 'retrier: measured basis', 'tutorial', 'tutorial: measured basis'],
    rows,
  );
}

/** Renders `bench/results.md`. */
export function renderResults(results: BenchResults): string {
  const { machine, settings, bundles, coldImport, warm, calls, burst, cost } = results;
  const memoryMb = settings.memorySizeMb;
  const failedChecks = results.checks.filter((check) => !check.pass);
  const out: string[] = [];
  out.push('# Benchmark results');
  out.push('');
  out.push(
    `Generated by \`npm run bench\` on ${results.startedAt.toISOString()} in ${fixed(results.totalMs / 1000, 0)} s. ` +
      'Do not edit by hand: every run rewrites this file. What each benchmark does and why: [README.md](README.md).',
  );
  out.push('');
  out.push(
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cores} × ${machine.cpuModel}`],
        ['memory', mb(machine.totalMemoryBytes)],
        ['Node.js', machine.node],
        ['platform', machine.platform],
        [
          'load average at start / end (1 min)',
          `${fixed(machine.loadAverageAtStart[0] ?? 0, 2)} / ${fixed(machine.loadAverageAtEnd[0] ?? 0, 2)}`,
        ],
        ['code', machine.commit],
        [
          'function (from the synthesized construct)',
          `${settings.runtime}, ${settings.architecture}, ${memoryMb} MB, ${settings.timeoutSeconds} s, NODE_OPTIONS=${settings.environment.NODE_OPTIONS ?? '(none)'}`,
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    'The machine is shared and noisy: figures are medians and percentiles over many samples, and ratios ' +
      'between things measured side by side in the same run. Absolute milliseconds move from run to run; the ' +
      'ratios and the counts are what to compare.',
  );
  out.push('');
  if (failedChecks.length > 0) {
    out.push(
      `> **Correctness checks failed (${failedChecks.length})**: ${failedChecks.map((check) => check.name).join('; ')}.`,
    );
    out.push('');
  }

  out.push('## Targets');
  out.push('');
  out.push(
    table(
      ['target', 'goal', 'measured', 'result'],
      results.targets.map((target) => [
        target.name,
        target.target,
        target.measured,
        target.pass ? '**PASS**' : `**MISS**${target.note ? `: ${target.note}` : ''}`,
      ]),
    ),
  );
  out.push('');
  out.push('Correctness checks (a failure makes `npm run bench` exit non-zero):');
  out.push('');
  for (const check of results.checks)
    out.push(`- ${check.pass ? 'ok' : '**FAILED**'}: ${check.name} (${check.detail})`);
  out.push('');

  out.push('## 1. Bundle size and cold import');
  out.push('');
  out.push(
    table(
      ['bundle (same esbuild options as deploy)', 'minified', 'gzipped'],
      [
        [
          '**retrier** (`dist/retrier/index.js`, as deployed)',
          kb(bundles.retrier.bytes),
          kb(bundles.retrier.gzipBytes),
        ],
        [
          'SDK-only baseline (Secrets Manager + SNS clients)',
          kb(bundles.sdkOnly.bytes),
          kb(bundles.sdkOnly.gzipBytes),
        ],
        [
          'the four SDK clients the retrier uses (+ DynamoDB, SQS)',
          kb(bundles.awsClients.bytes),
          kb(bundles.awsClients.gzipBytes),
        ],
        ["tutorial's flow", kb(bundles.tutorial.bytes), kb(bundles.tutorial.gzipBytes)],
      ],
    ),
  );
  out.push('');
  const shown = bundles.retrierComposition.slice(0, 12);
  const rest = bundles.retrierComposition.slice(12).reduce((total, share) => total + share.bytes, 0);
  out.push("What the retrier's minified bytes are made of (esbuild metafile, same options):");
  out.push('');
  out.push(
    table(
      ['package', 'minified', 'share'],
      [
        ...shown.map((share) => [
          `\`${share.name}\``,
          kb(share.bytes),
          `${fixed((share.bytes / bundles.retrier.bytes) * 100, 1)} %`,
        ]),
        ['everything else', kb(rest), `${fixed((rest / bundles.retrier.bytes) * 100, 1)} %`],
      ],
    ),
  );
  out.push('');
  out.push(
    `Cold import: ${coldImport.processesPerBundle} fresh \`node\` processes per bundle, the bundles taking turns in a ` +
      "rotating order, each `require`-ing its bundle with the function's environment, `NODE_OPTIONS` and Lambda's node " +
      'flags set (the configuration check runs). p50 / p90 / p99, and the ratio of medians to the SDK-only baseline:',
  );
  out.push('');
  out.push(
    table(
      [
        'bundle',
        '`require` of the bundle',
        'ratio',
        'process start → loaded',
        'ratio',
        'RSS once loaded (p50)',
      ],
      coldImport.sides.map((side) => [
        side.name === 'retrier' ? '**retrier**' : side.name,
        summaryMs(side.importMs),
        side.name === 'retrier'
          ? `**${times(side.importMs.p50 / coldImport.sdkOnly.importMs.p50)}**`
          : times(side.importMs.p50 / coldImport.sdkOnly.importMs.p50),
        summaryMs(side.readyMs),
        times(side.readyMs.p50 / coldImport.sdkOnly.readyMs.p50),
        mb(side.rssBytes.p50),
      ]),
    ),
  );
  out.push('');
  out.push('## 2. Warm per-alert overhead (in-process fakes)');
  out.push('');
  out.push(
    `\`createRetrier\` over the fakes of \`test/support/fakes.ts\`, ${warm.warmupAlerts} alerts of warm-up, then ` +
      `${warm.failure.n} distinct failure alerts one after another (each: parse, normalise, claim, decide, GET run, ` +
      're-trigger, record, announce), then repeated deliveries of alerts already handled.',
  );
  out.push('');
  out.push(
    table(
      ['per alert', 'p50', 'p90', 'p99', 'mean', 'max'],
      [
        [
          'distinct failure',
          ...[warm.failure.p50, warm.failure.p90, warm.failure.p99, warm.failure.mean, warm.failure.max].map(
            (v) => `${fixed(v, 1)} µs`,
          ),
        ],
        [
          'repeated delivery (duplicate)',
          ...[
            warm.duplicate.p50,
            warm.duplicate.p90,
            warm.duplicate.p99,
            warm.duplicate.mean,
            warm.duplicate.max,
          ].map((v) => `${fixed(v, 1)} µs`),
        ],
      ],
    ),
  );
  out.push('');
  out.push(`Throughput one at a time: ${fixed(warm.alertsPerSecond, 0)} alerts/s of the retrier's own work.`);
  out.push('');

  out.push('## 3. Calls per alert against the emulators');
  out.push('');
  out.push(
    `The real bundles, each in a fresh worker process (one container), ${calls.retrier.alerts} distinct failure alerts ` +
      `over ${calls.retrier.workload.flows} dataflows, one at a time, against moto_server and the Flow Service/IMS emulator. ` +
      "Flow Service and IMS calls from the emulator's counters; AWS calls from the counting proxy set as `AWS_ENDPOINT_URL`. " +
      'Cold-start calls (the first secret read and token) are included, amortised over the run.',
  );
  out.push('');
  out.push(
    table(
      ['system', 'call', 'retrier per alert', 'tutorial per alert'],
      callRows(calls.retrier, calls.tutorial),
    ),
  );
  out.push('');
  const retrierReport = calls.retrier.worker.report;
  const tutorialReport = calls.tutorial.worker.report;
  const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
  const p = (values: readonly number[], q: number) => {
    const s = sorted(values);
    return s[Math.min(s.length - 1, Math.floor((q / 100) * s.length))] ?? 0;
  };
  out.push(
    `Per-invocation duration, one at a time over loopback (p50 / p90 / p99): retrier ` +
      `${ms(p(retrierReport.callDurationsMs, 50))} / ${ms(p(retrierReport.callDurationsMs, 90))} / ${ms(p(retrierReport.callDurationsMs, 99))}; ` +
      `tutorial ${ms(p(tutorialReport.callDurationsMs, 50))} / ${ms(p(tutorialReport.callDurationsMs, 90))} / ${ms(p(tutorialReport.callDurationsMs, 99))}. ` +
      `Bundle load in the worker (cold start): retrier ${ms(retrierReport.loadMs, 0)}, tutorial ${ms(tutorialReport.loadMs, 0)}. ` +
      `Function output (logs, EMF): retrier ${fixed(calls.retrier.worker.stdoutBytes / calls.retrier.alerts, 0)} bytes and ` +
      `${fixed(calls.retrier.worker.stdoutLines / calls.retrier.alerts, 2)} lines per alert; tutorial ${fixed(calls.tutorial.worker.stdoutBytes / calls.tutorial.alerts, 0)} bytes.`,
  );
  out.push('');
  const motoPerAlert = (run: FlavorRun) =>
    Object.values(run.aws.upstreamMs)
      .flatMap((operations) => Object.values(operations))
      .reduce((total, spent) => total + spent, 0) / run.alerts;
  out.push(
    `Of those durations, moto_server's answers took ${ms(motoPerAlert(calls.retrier))} per alert on average for the retrier ` +
      `and ${ms(motoPerAlert(calls.tutorial))} for the tutorial's flow: loopback moto is far slower than DynamoDB and SNS ` +
      'in a region (single-digit milliseconds), so these durations say more about moto than about either function.',
  );
  out.push('');
  out.push(
    `Ledger items after this run: ${results.ledgerItems.items} items, median ${results.ledgerItems.medianBytes} bytes, largest ` +
      `${results.ledgerItems.maxBytes} bytes (DynamoDB's item-size rules), so every ledger write is 1 write unit ` +
      '(2 inside a transaction) and every read 1 read unit.',
  );
  out.push('');

  out.push("## 4. Burst: the retrier and the tutorial's flow side by side");
  out.push('');
  out.push(
    `${burst.retrier.alerts} alerts over ${burst.retrier.workload.flows} dataflows: ${burst.retrier.workload.failedRuns} distinct failed runs plus ` +
      `${burst.retrier.workload.duplicates} repeated deliveries (same alert, same I/O Events id), shuffled with a seeded PRNG ` +
      `(seed ${burst.retrier.workload.seed}), ${burst.retrier.workload.concurrency} invocations in flight, SNS events handed to the ` +
      'handler directly. Same workload, same concurrency, each flavor against a fresh emulator state, one after the other in this run.',
  );
  out.push('');
  out.push(table(['', 'retrier', "tutorial's flow"], burstRows(burst.retrier, burst.tutorial, memoryMb)));
  out.push('');
  out.push(
    '**One container.** Each flavor runs in one worker process, which is one Lambda container serving all ' +
      `${burst.retrier.workload.concurrency} concurrent invocations. Lambda would run one invocation per container, so ` +
      `${burst.retrier.workload.concurrency} in flight means up to ${burst.retrier.workload.concurrency} containers. Tokens and the ` +
      'secret are cached per container: N containers mint N tokens and read the secret N times (once per container per ' +
      'token lifetime and per 5 minutes respectively), so this burst on real Lambda would mint at most ' +
      `${burst.retrier.workload.concurrency} tokens against the tutorial's ${burst.tutorial.alerts}. De-duplication is the ` +
      "shared ledger's conditional claim, not a per-container cache, so more containers do not weaken it (this run uses one). " +
      'The peak RSS of one container serving 50 invocations at once is an upper bound for a real container, which serves ' +
      'one at a time.',
  );
  out.push('');

  const perCall = (run: FlavorRun, service: string, operation: string) => {
    const count = run.aws.calls[service]?.[operation] ?? 0;
    return count ? (run.aws.upstreamMs[service]?.[operation] ?? 0) / count : 0;
  };
  const operationsOf = (run: FlavorRun) =>
    Object.entries(run.aws.calls).flatMap(([service, operations]) =>
      Object.keys(operations).map((operation) => [service, operation] as const),
    );
  const writeLaneMs = Object.entries(burst.retrier.aws.upstreamMs.dynamodb ?? {})
    .filter(([operation]) =>
      ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'].includes(operation),
    )
    .reduce((total, [, spent]) => total + spent, 0);
  out.push(
    "**Where the burst's time goes.** Alerts per second here are bounded by moto_server, not by the functions: " +
      'moto is Python on one core per server, its `TransactWriteItems` copies the whole table before writing (each one ' +
      'slower as the ledger fills), and it is not thread-safe while doing so, so the counting proxy lets DynamoDB writes ' +
      `through one at a time (see README). Those serialized writes kept moto busy for ${fixed(writeLaneMs / 1000, 1)} s of the ` +
      `retrier's ${fixed(burst.retrier.worker.report.wallMs / 1000, 1)} s burst. What one call costs in moto when nothing ` +
      'else runs (step 3, one alert at a time), and what the burst asked for:',
  );
  out.push('');
  out.push(
    table(
      ['flavor', 'operation', 'moto time per call, step 3', 'calls in the burst'],
      [calls.retrier, calls.tutorial].flatMap((run) => {
        const inBurst = run.flavor === 'retrier' ? burst.retrier : burst.tutorial;
        return operationsOf(inBurst).map(([service, operation]) => [
          run.flavor === 'retrier' ? 'retrier' : "tutorial's flow",
          `${service} ${operation}`,
          ms(perCall(run, service, operation)),
          String(inBurst.aws.calls[service]?.[operation] ?? 0),
        ]);
      }),
    ),
  );
  out.push('');
  out.push(
    `The retrier's own work per alert is ${fixed(warm.failure.p50, 0)} µs (step 2), a ceiling of about ` +
      `${fixed(warm.alertsPerSecond, 0)} alerts/s per core before any I/O.`,
  );
  out.push('');

  out.push('## 5. Cost of 1,000 retries on AWS list prices');
  out.push('');
  out.push(
    `Prices: ${PRICES_REGION}, list prices assumed as of ${PRICES_AS_OF} (see \`bench/cost.ts\` for each price and its page); ` +
      'free tiers ignored. Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; Secrets Manager $0.05 per ' +
      '10,000 API calls; DynamoDB on-demand $0.625 per million write units and $0.125 per million read units; SNS $0.50 ' +
      'per million publishes; SQS $0.40 per million requests; CloudWatch Logs ingestion $0.50 per GB. ' +
      `Function memory ${memoryMb} MB (from the construct).`,
  );
  out.push('');
  out.push(
    `From step 3 (one alert at a time, ${calls.retrier.alerts} distinct failures, each one a retry), every measured count ` +
      `scaled linearly to 1,000 alerts (so the retrier's one cold-start secret read per ${calls.retrier.alerts} alerts counts ` +
      `${fixed(1000 / calls.retrier.alerts, 0)} times, a container's real rate being one per 5 minutes):`,
  );
  out.push('');
  out.push(costTable(cost.calls.retrier, cost.calls.tutorial));
  out.push('');
  out.push(
    `From the burst (step 4: 30 % repeats, durations inflated by 50 invocations sharing ${machine.cores} cores): ` +
      `retrier ${usd(cost.burst.retrier.totalUsd)}, tutorial ${usd(cost.burst.tutorial.totalUsd)} per 1,000 alerts.`,
  );
  out.push('');
  out.push(
    "Durations are the measured ones, moto's slow answers included (step 3): against the real Adobe and AWS endpoints " +
      'each call waits for the network instead, and ' +
      `every extra 100 ms per alert adds ${usd(1000 * 0.1 * (memoryMb / 1024) * 0.0000133334)} per 1,000 alerts at ${memoryMb} MB. ` +
      'Not included: fixed monthly costs (the secret, $0.40; the customer-managed KMS key, about $1), KMS requests SNS makes ' +
      "for the encrypted topics (data keys are reused for minutes), CloudWatch metrics and alarms, Lambda's own START/END/REPORT " +
      'log lines, and data transfer.',
  );
  out.push('');

  out.push('## 6. Peak memory');
  out.push('');
  const emptyNode = coldImport.sides.find((side) => side.name.startsWith('empty'));
  const memoryRow = (label: string, run: FlavorRun) => {
    const report = run.worker.report;
    return [
      label,
      mb(report.rssBeforeLoadBytes),
      mb(report.rssAfterLoadBytes),
      `**${mb(report.maxRssBytes)}**`,
      mb(report.heapUsedPeakBytes),
      mb(report.heapTotalPeakBytes),
      mb(report.externalPeakBytes),
      `**${fixed(report.maxRssBytes / (memoryMb * 1024 * 1024), 2)}**`,
    ];
  };
  out.push(
    table(
      [
        'process (one container)',
        'RSS before the bundle loads',
        'after it loads',
        'peak RSS (kernel maxRSS)',
        'peak heap used',
        'peak heap reserved',
        'peak external',
        `peak ÷ ${memoryMb} MB`,
      ],
      [
        memoryRow(`retrier, burst (${burst.retrier.workload.concurrency} in flight)`, burst.retrier),
        memoryRow(
          `tutorial's flow, burst (${burst.tutorial.workload.concurrency} in flight)`,
          burst.tutorial,
        ),
        memoryRow(`retrier, step 3 (one at a time, ${calls.retrier.alerts} alerts)`, calls.retrier),
      ],
    ),
  );
  out.push('');
  out.push(
    "Each worker is plain `node` with the flags Lambda's bootstrap uses for the memory size " +
      `(\`${lambdaNodeFlags(memoryMb).join(' ')}\`), the function's \`NODE_OPTIONS\`, a small harness (bundled ` +
      "`bench/worker.ts`) and its events in memory; the peak is the kernel's maxRSS of that process, cross-checked by " +
      `sampling \`process.memoryUsage()\` every 10 ms (sampled peak of the retrier's burst: ${mb(burst.retrier.worker.report.rssPeakSampledBytes)}). ` +
      `For scale: an empty \`node\` process with the same flags holds ${emptyNode ? mb(emptyNode.rssBytes.p50) : 'n/a'} ` +
      '(step 1), most of it the Node.js binary and its start-up heap, which a Lambda container holds too.',
  );
  out.push('');
  out.push('## Step durations');
  out.push('');
  out.push(
    table(
      ['step', 'time'],
      results.steps.map((step) => [step.name, `${fixed(step.ms / 1000, 1)} s`]),
    ),
  );
  out.push('');
  out.push('## Reproduce');
  out.push('');
  out.push('```sh');
  out.push('npm ci');
  out.push(
    'npm run bench   # needs moto_server on PATH (pip install "moto[server]"); writes bench/results.md',
  );
  out.push('```');
  out.push('');
  return out.join('\n');
}
