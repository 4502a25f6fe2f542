/**
 * JSON parsing that refuses duplicate object keys (RFC 8259 leaves them undefined; RFC 7515 §5.2 asks
 * JWS consumers to reject them), so a signed object never means two things to two parsers.
 * Grammar is checked by `JSON.parse`; a second linear pass over the (now known valid) text looks for
 * repeated keys per object, comparing keys after unescaping (`"a"` and `"\u0061"` collide).
 * Also the one `isRecord`: what a parsed JSON object is (not null, not an array).
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

/** A JSON object: a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `text` as JSON. Throws `ElicenceError` with `malformedCode` on a syntax error and
 * `ERR_JSON_DUPLICATE_KEY` (field = the repeated key) when an object repeats a key.
 */
export function parseStrictJson(text: string, malformedCode: ErrorCode = 'ERR_BAD_JSON'): unknown {
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

/** Returns the first repeated key in syntactically valid JSON text, or undefined. */
export function findDuplicateKey(validJson: string): string | undefined {
  // One entry per open container: a key set for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
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
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === OPEN_BRACE) {
      stack.push(new Set());
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
