/**
 * Builds the stack for template assertions, with bundling skipped (no esbuild run) unless a test
 * asks for it.
 */
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  AepDataflowAutoRetryStack,
  type AepDataflowAutoRetryStackProps,
} from '../../lib/aep-dataflow-auto-retry-stack';

/** Context that makes `NodejsFunction` skip bundling in every stack. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** A synthesized stack and its template. */
export interface Synthesized {
  readonly app: App;
  readonly stack: AepDataflowAutoRetryStack;
  readonly template: Template;
}

/** Creates the stack in a fresh app (bundling skipped) and reads its template. */
export function synth(props: AepDataflowAutoRetryStackProps = {}): Synthesized {
  const app = new App({ context: SKIP_BUNDLING });
  const stack = new AepDataflowAutoRetryStack(app, 'Test', props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows a construct's resource by. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  const resource = construct.node.defaultChild ?? construct;
  return stack.getLogicalId(resource as CfnElement);
}

/** `{ Ref: <logical id> }` of a construct's resource. */
export function ref(stack: Stack, construct: IConstruct): { Ref: string } {
  return { Ref: logicalId(stack, construct) };
}

/** `{ Fn::GetAtt: [<logical id>, attribute] }` of a construct's resource. */
export function getAtt(stack: Stack, construct: IConstruct, attribute: string): { 'Fn::GetAtt': string[] } {
  return { 'Fn::GetAtt': [logicalId(stack, construct), attribute] };
}

/** An IAM policy statement as it appears in the template. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of the IAM policies attached to the retrier's role. */
export function retrierStatements(synthesized: Synthesized): Statement[] {
  const { stack, template } = synthesized;
  const roleId = logicalId(stack, synthesized.stack.autoRetry.retrier.role!);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** A statement's actions as an array. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
