/**
 * Adobe I/O Events digital signatures (reference 4.5): every webhook POST carries up to two
 * RSA-SHA256 signatures of its raw body, each with the path of the public key that checks it.
 * The event is authentic when either signature verifies. Keys come through a
 * {@link PublicKeyPort}; this module only reads headers, checks key paths and verifies. No I/O.
 */
import { type KeyObject, verify } from 'node:crypto';
import type { CallOptions } from './ports';

/**
 * Header names of signature 1 and 2. Adobe's docs write `x-adobe-digital-signature-1`; the
 * comments of Adobe's own Node library write `x-adobe-digital-signature1`: both are read.
 */
export const SIGNATURE_HEADERS: readonly (readonly string[])[] = [
  ['x-adobe-digital-signature-1', 'x-adobe-digital-signature1'],
  ['x-adobe-digital-signature-2', 'x-adobe-digital-signature2'],
];

/** Header names of the key paths that go with signature 1 and 2 (the hyphenated form tolerated). */
export const KEY_PATH_HEADERS: readonly (readonly string[])[] = [
  ['x-adobe-public-key1-path', 'x-adobe-public-key-1-path'],
  ['x-adobe-public-key2-path', 'x-adobe-public-key-2-path'],
];

/**
 * The only key paths fetched: `/prod/keys/pub-key-<uuid>.pem`, as Adobe documents them. The
 * pattern leaves no room for `..`, `//`, a query, a fragment or another host, so a forged header
 * cannot make the function fetch anything but an Adobe key file from the configured origin.
 */
export const KEY_PATH_PATTERN =
  /^\/prod\/keys\/pub-key-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pem$/i;

/** A base64 RSA signature is a few hundred characters; anything far longer is not one. */
const MAX_SIGNATURE_LENGTH = 2048;

/** Public keys by path, fetched and cached by an adapter. */
export interface PublicKeyPort {
  /**
   * The key at `path` (already checked against {@link KEY_PATH_PATTERN}), or null when the key
   * origin has no such key.
   * @throws AutoRetryError of kind `transient` when the origin could not be reached in time
   */
  get(path: string, options?: CallOptions): Promise<KeyObject | null>;
}

/** Looks a header up by name, case-insensitively. */
export type HeaderLookup = (name: string) => string | undefined;

/** Builds a {@link HeaderLookup} over a header map whose names may be in any case. */
export function headerLookup(headers: Readonly<Record<string, string | undefined>>): HeaderLookup {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') lower.set(name.toLowerCase(), value);
  }
  return (name) => lower.get(name.toLowerCase());
}

/** One signature with the path of its key, as the headers give them. */
export interface SignedWith {
  /** 1 or 2. */
  readonly index: number;
  readonly signature?: string;
  readonly keyPath?: string;
}

/** Reads both signature/key-path pairs; a pair missing both parts is left out. */
export function readSignatures(header: HeaderLookup): SignedWith[] {
  const pairs: SignedWith[] = [];
  SIGNATURE_HEADERS.forEach((names, position) => {
    const signature = firstOf(header, names);
    const keyPath = firstOf(header, KEY_PATH_HEADERS[position] ?? []);
    if (signature !== undefined || keyPath !== undefined)
      pairs.push({ index: position + 1, signature, keyPath });
  });
  return pairs;
}

function firstOf(header: HeaderLookup, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = header(name)?.trim();
    if (value) return value;
  }
  return undefined;
}

/** True when `path` is an Adobe key path this module agrees to fetch. */
export function isAllowedKeyPath(path: string | undefined): path is string {
  return typeof path === 'string' && KEY_PATH_PATTERN.test(path);
}

/**
 * Verifies one RSA-SHA256 signature (base64) of `body` with `key`, as Adobe's reference code does:
 * `crypto.verify('rsa-sha256', body, key, Buffer.from(signature, 'base64'))`. False, never a throw,
 * for a malformed signature or an unusable key.
 */
export function verifySignature(body: Uint8Array, key: KeyObject, signature: string): boolean {
  if (signature.length === 0 || signature.length > MAX_SIGNATURE_LENGTH) return false;
  try {
    return verify('rsa-sha256', body, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Why a delivery's signatures did not authenticate it. */
export type SignatureFailure =
  /** No signature header at all. */
  | 'unsigned'
  /** Signatures, but no pair with a key path this module fetches. */
  | 'bad-key-path'
  /** The key origin has none of the named keys. */
  | 'unknown-key'
  /** A key was found, and no signature verified with it. */
  | 'invalid-signature';

/** The verdict on a delivery's signatures. */
export type SignatureVerdict =
  | { readonly valid: true; readonly index: number; readonly keyPath: string }
  | { readonly valid: false; readonly failure: SignatureFailure; readonly detail: string };

/**
 * Checks a delivery's digital signatures over its raw body: signature 1 with key 1, then
 * signature 2 with key 2; the first that verifies makes the delivery valid. Key paths that do not
 * match {@link KEY_PATH_PATTERN} are never fetched.
 * @throws AutoRetryError of kind `transient` when no signature verified and a key could not be
 * fetched (the answer should then be 5xx, so I/O Events delivers again)
 */
export async function verifyDigitalSignatures(
  body: Uint8Array,
  header: HeaderLookup,
  keys: PublicKeyPort,
  options: CallOptions = {},
): Promise<SignatureVerdict> {
  const pairs = readSignatures(header);
  if (pairs.length === 0) {
    return { valid: false, failure: 'unsigned', detail: 'no x-adobe-digital-signature header' };
  }
  const problems: string[] = [];
  let keyFound = false;
  let allowedPaths = 0;
  let unreachable: unknown;
  for (const { index, signature, keyPath } of pairs) {
    if (signature === undefined) {
      problems.push(`signature ${index} is missing`);
      continue;
    }
    if (!isAllowedKeyPath(keyPath)) {
      problems.push(
        keyPath === undefined
          ? `key path ${index} is missing`
          : `key path ${index} is not /prod/keys/pub-key-<uuid>.pem`,
      );
      continue;
    }
    allowedPaths++;
    let key: KeyObject | null;
    try {
      key = await keys.get(keyPath, options);
    } catch (error) {
      // Another pair may still verify; only when none does is the failure worth a redelivery.
      unreachable = error;
      problems.push(`key ${index} could not be fetched`);
      continue;
    }
    if (key === null) {
      problems.push(`key ${index} is not published by the key origin`);
      continue;
    }
    keyFound = true;
    if (verifySignature(body, key, signature)) return { valid: true, index, keyPath };
    problems.push(`signature ${index} does not verify`);
  }
  if (unreachable !== undefined) throw unreachable;
  const detail = problems.join('; ');
  if (allowedPaths === 0) return { valid: false, failure: 'bad-key-path', detail };
  return { valid: false, failure: keyFound ? 'invalid-signature' : 'unknown-key', detail };
}
