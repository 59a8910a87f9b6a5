/**
 * `GET /runs` query handling: `property` filters, `orderby`, `limit`, `count` and continuation
 * tokens (reference 1.4). Pure.
 */
import { pick } from '../lambda/core/run-object';
import type { RunObject } from './types';

/** One `property` expression, e.g. `flowId==abc` or `createdAt>1693538438769`. */
export interface RunFilter {
  readonly field: string;
  readonly op: '==' | '!=' | '>' | '<' | '>=' | '<=';
  /** `==`/`!=` take a comma list (`id==a,b`); the others take one number. */
  readonly values: readonly string[];
}

/** A run with its insertion order, the tie-break between runs created in the same millisecond. */
export interface SequencedRun {
  readonly run: RunObject;
  readonly seq: number;
}

/** A parsed `GET /runs` query. */
export interface RunQuery {
  readonly filters: readonly RunFilter[];
  readonly expressions: readonly string[];
  readonly orderField: 'createdAt' | 'updatedAt';
  /** -1: newest first. */
  readonly direction: 1 | -1;
  readonly limit: number;
  readonly count: boolean;
  /** Sort key of the last item of the previous page. */
  readonly after?: readonly [number, number];
}

/** The largest `limit` (the spec's `FlowFilterRequest.limit` maximum). */
export const MAX_LIMIT = 1000;

const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_.]*)(==|!=|>=|<=|>|<)(.+)$/;
/** Fields that hold a status: compared case-insensitively (`Failed` in the docs, `failed` in payloads). */
const STATUS_FIELDS = new Set(['state', 'status', 'metrics.statusSummary.status']);
const ORDER_FIELDS = new Set(['createdAt', 'updatedAt']);

interface TokenContent {
  readonly f: readonly string[];
  readonly o: string;
  readonly l: number;
  readonly a: readonly [number, number];
}

/**
 * Encodes a continuation token: opaque base64url with `=` padding kept, so clients that split
 * hrefs on `=` (as Adobe's aepp does) are exercised. Padded to always end in `==`.
 */
export function encodeToken(content: TokenContent): string {
  let text = JSON.stringify(content);
  while (Buffer.byteLength(text) % 3 !== 1) text += ' ';
  return Buffer.from(text).toString('base64url').concat('==');
}

function decodeToken(token: string): TokenContent | undefined {
  try {
    // Accept standard and url-safe alphabets, with or without padding, and '+' turned into ' '.
    const cleaned = token.replace(/=+$/, '').replace(/ /g, '+').replace(/\+/g, '-').replace(/\//g, '_');
    const parsed: unknown = JSON.parse(Buffer.from(cleaned, 'base64url').toString('utf8'));
    const content = parsed as TokenContent;
    if (
      !Array.isArray(content.f) ||
      !content.f.every((item) => typeof item === 'string') ||
      typeof content.o !== 'string' ||
      typeof content.l !== 'number' ||
      !Array.isArray(content.a) ||
      content.a.length !== 2 ||
      !content.a.every((item) => typeof item === 'number')
    ) {
      return undefined;
    }
    return content;
  } catch {
    return undefined;
  }
}

function parseExpression(expression: string): RunFilter | string {
  const match = EXPRESSION.exec(expression);
  if (!match) {
    return `The property filter '${expression}' is not valid. Use field==value, field>number or field<number.`;
  }
  const [, field = '', op = '==', rawValue = ''] = match;
  const values =
    op === '==' || op === '!=' ? rawValue.split(',').map((value) => value.trim()) : [rawValue.trim()];
  if (op !== '==' && op !== '!=' && !/^-?\d+$/.test(values[0] ?? '')) {
    return `The property filter '${expression}' compares with '${rawValue}', which is not a number.`;
  }
  return { field, op: op as RunFilter['op'], values };
}

function parseOrder(raw: string): { field: 'createdAt' | 'updatedAt'; direction: 1 | -1 } | string {
  // An unencoded '+' arrives as a space.
  const text = raw.trim();
  const direction = text.startsWith('-') ? -1 : 1;
  const field = text.replace(/^[-+]/, '');
  if (!ORDER_FIELDS.has(field)) {
    return `The orderby field '${field}' is not supported for runs. Use createdAt or updatedAt, with - for descending.`;
  }
  return { field: field as 'createdAt' | 'updatedAt', direction };
}

/**
 * Reads a `GET /runs` query string.
 * @returns the query, or a message saying what is wrong (`limitAndCount` for the 1401 case)
 */
export function parseRunQuery(
  params: URLSearchParams,
  pageSize: number,
): { readonly query: RunQuery } | { readonly error: string } | { readonly limitAndCount: true } {
  const rawLimit = params.get('limit');
  const rawCount = params.get('count');
  if (rawLimit !== null && rawCount !== null) return { limitAndCount: true };

  const tokenText = params.get('continuationToken');
  const token = tokenText === null ? undefined : decodeToken(tokenText);
  if (tokenText !== null && !token) {
    return {
      error: 'The continuationToken is not valid. Send back the token of the previous page unchanged.',
    };
  }

  const expressions = token ? token.f : params.getAll('property');
  const filters: RunFilter[] = [];
  for (const expression of expressions) {
    const parsed = parseExpression(expression);
    if (typeof parsed === 'string') return { error: parsed };
    filters.push(parsed);
  }

  const order = parseOrder(token ? token.o : (params.get('orderby') ?? '-createdAt'));
  if (typeof order === 'string') return { error: order };

  let limit = token ? token.l : pageSize;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT) {
      return { error: `The limit '${rawLimit}' is not valid. Use a whole number from 1 to ${MAX_LIMIT}.` };
    }
    limit = Number(rawLimit);
  }

  let count = false;
  if (rawCount !== null) {
    if (rawCount !== 'true' && rawCount !== 'false') {
      return { error: `The count '${rawCount}' is not valid. Use true or false.` };
    }
    count = rawCount === 'true';
  }

  return {
    query: {
      filters,
      expressions,
      orderField: order.field,
      direction: order.direction,
      limit,
      count,
      ...(token ? { after: token.a } : {}),
    },
  };
}

function fieldValue(run: RunObject, field: string): unknown {
  if (field === 'state' || field === 'status') return run.metrics.statusSummary.status;
  return pick(run, field);
}

/** True when the run passes the filter. */
export function matchesFilter(run: RunObject, filter: RunFilter): boolean {
  const actual = fieldValue(run, filter.field);
  if (actual === undefined || actual === null) return filter.op === '!=';
  if (filter.op === '==' || filter.op === '!=') {
    const folded = STATUS_FIELDS.has(filter.field);
    const text = folded ? String(actual).toLowerCase() : String(actual);
    const found = filter.values.some((value) => (folded ? value.toLowerCase() : value) === text);
    return filter.op === '==' ? found : !found;
  }
  const number = typeof actual === 'number' ? actual : Number(actual);
  const bound = Number(filter.values[0]);
  if (!Number.isFinite(number)) return false;
  switch (filter.op) {
    case '>':
      return number > bound;
    case '<':
      return number < bound;
    case '>=':
      return number >= bound;
    case '<=':
      return number <= bound;
  }
}

function sortKey(entry: SequencedRun, field: 'createdAt' | 'updatedAt'): [number, number] {
  return [entry.run[field], entry.seq];
}

function compareKeys(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** One page of runs. */
export interface RunPage {
  readonly items: readonly RunObject[];
  /** The continuation token of the next page, when there is one. */
  readonly next?: string;
  readonly total: number;
}

/** Filters, orders and pages the runs (already narrowed to the caller's org and sandbox). */
export function pageRuns(runs: readonly SequencedRun[], query: RunQuery): RunPage {
  const matching = runs
    .filter((entry) => query.filters.every((filter) => matchesFilter(entry.run, filter)))
    .sort(
      (a, b) => query.direction * compareKeys(sortKey(a, query.orderField), sortKey(b, query.orderField)),
    );
  const after = query.after;
  // Keyset paging: runs created while a client pages neither repeat nor shift later pages.
  const remaining = after
    ? matching.filter((entry) => query.direction * compareKeys(sortKey(entry, query.orderField), after) > 0)
    : matching;
  const page = remaining.slice(0, query.limit);
  const last = page.at(-1);
  const next =
    remaining.length > page.length && last
      ? encodeToken({
          f: query.expressions,
          o: `${query.direction < 0 ? '-' : ''}${query.orderField}`,
          l: query.limit,
          a: sortKey(last, query.orderField),
        })
      : undefined;
  return { items: page.map((entry) => entry.run), total: matching.length, ...(next ? { next } : {}) };
}
