/**
 * Reads the retrier's deployed settings (memory, architecture, runtime, timeout and the literal
 * environment variables) from a synthesized template of the `DataflowAutoRetry` construct with its
 * defaults, so the benchmarks compare against what deploys rather than a copied number.
 *
 * Run as a script it prints the settings as JSON: the orchestrator runs it in a child process so
 * aws-cdk-lib never loads into the process that times things.
 */
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { DataflowAutoRetry } from '../lib/dataflow-auto-retry';

/** The retrier function as the construct's defaults configure it. */
export interface FunctionSettings {
  readonly memorySizeMb: number;
  readonly architecture: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  /** Environment variables with a literal value (references to other resources are left out). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Synthesizes the construct with default props (bundling skipped) and reads the retrier's
 * `AWS::Lambda::Function` properties.
 * @throws Error when the template does not hold the function or a setting is not a literal
 */
export function readFunctionSettings(): FunctionSettings {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'BenchSettings');
  const construct = new DataflowAutoRetry(stack, 'AutoRetry');
  const logicalId = stack.resolve(stack.getLogicalId(construct.retrier.node.defaultChild as CfnElement));
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Lambda::Function') {
    throw new Error(`the template has no AWS::Lambda::Function ${logicalId} for the retrier`);
  }
  const props = resource.Properties;
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const architectures = props.Architectures as string[] | undefined;
  const settings: FunctionSettings = {
    memorySizeMb: Number(props.MemorySize),
    architecture: architectures?.[0] ?? 'x86_64',
    runtime: String(props.Runtime),
    timeoutSeconds: Number(props.Timeout),
    environment,
  };
  if (!Number.isInteger(settings.memorySizeMb) || settings.memorySizeMb <= 0) {
    throw new Error(`the retrier's MemorySize is not a literal number (${String(props.MemorySize)})`);
  }
  return settings;
}

if (require.main === module) {
  try {
    process.stdout.write(`${JSON.stringify(readFunctionSettings())}\n`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
