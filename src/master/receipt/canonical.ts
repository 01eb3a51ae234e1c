/**
 * Canonical JSON for signing: the JSON Canonicalization Scheme (RFC 8785),
 * for the values a receipt holds. No whitespace; object members sorted by
 * their names' UTF-16 code units (RFC 8785 §3.2.3); strings and numbers as
 * ECMAScript's JSON.stringify writes them (§3.2.2.2, §3.2.2.3); literals
 * `null`, `true`, `false`. Refused (throws): non-finite numbers, lone
 * surrogates (§3.2.2.2: must be well-formed), undefined, functions and other
 * non-JSON values — so one value has exactly one serialisation.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a finite number`);
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError('canonical JSON: a string holds a lone surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError('canonical JSON: only plain objects and arrays');
      const keys = Object.keys(value).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) throw new TypeError(`canonical JSON: member ${JSON.stringify(k)} is undefined`);
        parts.push(`${canonicalJson(k)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} is not JSON`);
  }
}
