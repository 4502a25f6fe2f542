/**
 * JSON parsing that refuses duplicate object keys (RFC 8259 leaves them undefined; RFC 7515 §5.2 asks
 * JWS consumers to reject them), so a signed object never means two things to two parsers.
 * Grammar is checked by `JSON.parse`; a second linear pass over the (now known valid) text looks for
 * repeated keys per object, comparing keys after unescaping (`"a"` and `"\u0061"` collide).
 * Also the one `isRecord`: what a parsed JSON object is (not null, not an array), and the one nesting
 * limit (`MAX_JSON_DEPTH`) for JSON accepted anywhere: request bodies, credential payloads, subjects.
 */
import { ElicenceError, type ErrorCode } from './errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Deepest nesting of arrays and objects accepted anywhere (request bodies, JWS payloads, subjects).
 * Licence types nest at most 8 levels (MAX_SUBJECT_LEVELS in licence-types.ts); a credential wraps
 * its subject in 2 more and a request in a few more, so 64 leaves room and stops the recursion-heavy
 * inputs (thousands of levels) that would overflow a stack in some parser, validator or printer.
 */
export const MAX_JSON_DEPTH = 64;

function tooDeep(field?: string): ElicenceError {
  return new ElicenceError('ERR_JSON_TOO_DEEP', `JSON nests deeper than ${MAX_JSON_DEPTH} levels`, field === undefined ? {} : { field });
}

/** Throws ERR_JSON_TOO_DEEP when `text` opens more than MAX_JSON_DEPTH arrays/objects at once (strings skipped). */
function assertTextDepth(text: string): void {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) throw tooDeep();
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
}

/**
 * Throws ERR_JSON_TOO_DEEP (naming `field`) when a parsed value nests deeper than `max` levels of
 * arrays and objects. Iterative, so it never overflows the stack it protects.
 */
export function assertJsonDepth(value: unknown, field?: string, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > max) {
      throw new ElicenceError('ERR_JSON_TOO_DEEP', `JSON nests deeper than ${max} levels`, field === undefined ? {} : { field });
    }
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/** A JSON object: a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `text` as JSON. Throws `ElicenceError` with `malformedCode` on a syntax error and
 * `ERR_JSON_DUPLICATE_KEY` (field = the repeated key) when an object repeats a key, and
 * `ERR_JSON_TOO_DEEP` when it nests deeper than MAX_JSON_DEPTH.
 */
export function parseStrictJson(text: string, malformedCode: ErrorCode = 'ERR_BAD_JSON'): unknown {
  assertTextDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ElicenceError(malformedCode, 'not valid JSON', { cause });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new ElicenceError('ERR_JSON_DUPLICATE_KEY', `duplicate JSON key ${JSON.stringify(duplicate)}`, { field: duplicate });
  }
  return value;
}

/** The keys of one open object: a short array (most objects have a handful), a Set once it grows. */
class KeySet {
  private small: string[] = [];
  private large: Set<string> | undefined;

  /** Adds `key`; false when it was there already. */
  add(key: string): boolean {
    if (this.large) {
      if (this.large.has(key)) return false;
      this.large.add(key);
      return true;
    }
    if (this.small.includes(key)) return false;
    this.small.push(key);
    if (this.small.length > 16) this.large = new Set(this.small);
    return true;
  }
}

/** Returns the first repeated key in syntactically valid JSON text, or undefined. */
export function findDuplicateKey(validJson: string): string | undefined {
  // One entry per open container: its keys for objects, null for arrays.
  const stack: (KeySet | null)[] = [];
  let expectKey = false;
  const n = validJson.length;
  for (let i = 0; i < n; i++) {
    const c = validJson.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = validJson.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      const keys = stack.length > 0 ? stack[stack.length - 1] : null;
      if (expectKey && keys) {
        const key = escaped ? (JSON.parse(validJson.slice(start, i + 1)) as string) : validJson.slice(start + 1, i);
        if (!keys.add(key)) return key;
        expectKey = false;
      }
    } else if (c === OPEN_BRACE) {
      stack.push(new KeySet());
      expectKey = true;
    } else if (c === OPEN_BRACKET) {
      stack.push(null);
      expectKey = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    } else if (c === COLON) {
      expectKey = false;
    }
  }
  return undefined;
}
