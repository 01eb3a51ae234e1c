import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/master/receipt/canonical.js';

describe('§14.2 canonical JSON', () => {
  test('serialises the RFC 8785 sample exactly as the RFC does', () => {
    // RFC 8785 §3.2.2 / Appendix: numbers, string escapes and literals, members sorted.
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}') as unknown;
    assert.equal(canonicalJson(input), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  test('sorts members by UTF-16 code units and refuses values with no single serialisation', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: true, c: null }], '\u00e9': 0, Z: '' }), '{"Z":"","a":[{"c":null,"d":true}],"b":1,"é":0}');
    for (const bad of [Number.NaN, Infinity, { a: undefined }, '\ud800', () => 1, new Date(0)]) assert.throws(() => canonicalJson(bad), TypeError);
  });
});
