import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from '../../src/attestation/policy-load.js';
import { DEFAULT_POLICY } from '../../src/attestation/policy.js';
import { InputError } from '../../src/errors.js';

const M = 'ab'.repeat(48);

function loadError(text: string): string {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('loading an attestation policy from YAML', () => {
  test('an empty file is the default policy, which refuses', () => {
    assert.deepEqual(parsePolicy('', 'p.yaml'), DEFAULT_POLICY);
  });

  test('a full policy loads with defaults filled in and hex lower-cased', () => {
    const p = parsePolicy(
      [
        'allowSimulated: true',
        'maxCollateralAgeDays: 30',
        'sev-snp:',
        `  measurements: [${M.toUpperCase()}]`,
        '  minTcb: { bootloader: 3, snp: 8 }',
        '  allowDebug: true',
        'sgx:',
        '  signers:',
        `    - { name: owner key, mrSigner: "${'01'.repeat(32)}", prodId: 1, minSvn: 2 }`,
        '  acceptedTcbStatuses: [UpToDate, SWHardeningNeeded]',
        'sim:',
        `  measurements: ["${'00'.repeat(48)}"]`,
      ].join('\n'),
      'p.yaml',
    );
    assert.equal(p.allowSimulated, true);
    assert.equal(p.maxCollateralAgeDays, 30);
    assert.deepEqual(p['sev-snp'].measurements, [M]);
    assert.deepEqual(p['sev-snp'].minTcb, { bootloader: 3, snp: 8 });
    assert.equal(p['sev-snp'].allowDebug, true);
    assert.equal(p['sev-snp'].allowMigrationAgent, false);
    assert.equal(p['sev-snp'].maxVmpl, 0);
    assert.equal(p.sgx.signers[0]?.prodId, 1);
    assert.deepEqual(p.sgx.acceptedTcbStatuses, ['UpToDate', 'SWHardeningNeeded']);
    assert.deepEqual(p.tdx.acceptedTcbStatuses, ['UpToDate']);
    assert.deepEqual(p.sim.measurements, ['00'.repeat(48)]);
  });

  test('an empty section is that section with its defaults', () => {
    const p = parsePolicy('allowSimulated: false\nsev-snp:\ntdx:\n', 'p.yaml');
    assert.deepEqual(p['sev-snp'], DEFAULT_POLICY['sev-snp']);
  });

  test('hex written with digits only keeps its leading zeros', () => {
    const p = parsePolicy(`sim:\n  measurements: [${'01'.repeat(48)}]\n`, 'p.yaml');
    assert.deepEqual(p.sim.measurements, ['01'.repeat(48)]);
  });

  test('an unknown key is reported with file:line:column and the nearest valid key', () => {
    assert.match(loadError('sev-snp:\n  allowDebg: true\n'), /policy\.yaml:2:3: unknown key "sev-snp\.allowDebg"; did you mean "allowDebug"\?/);
    assert.match(loadError('alowSimulated: true\n'), /policy\.yaml:1:1: unknown key "alowSimulated"; did you mean "allowSimulated"\?/);
  });

  test('a measurement of the wrong length says how long it must be', () => {
    assert.match(loadError('sev-snp:\n  measurements: [abcd]\n'), /policy\.yaml:2:18: sev-snp\.measurements\[0\] must be 48 bytes of hex \(96 hex digits\), got 4 characters/);
  });

  test('a misspelled TCB status suggests the right one', () => {
    assert.match(loadError('tdx:\n  acceptedTcbStatuses: [UptoDate]\n'), /"UptoDate" is not one of .*did you mean "UpToDate"\?/);
  });

  test('a TDX measurement needs every RTMR, and a wrong type is explained', () => {
    assert.match(loadError(`tdx:\n  measurements:\n    - mrtd: "${M}"\n`), /tdx\.measurements\[0\] needs "rtmr0"/);
    assert.match(loadError('sev-snp:\n  allowDebug: yes please\n'), /sev-snp\.allowDebug must be true or false/);
    assert.match(loadError('sev-snp:\n  maxVmpl: 4\n'), /maxVmpl must be an integer from 0 to 3/);
  });

  test('YAML syntax errors carry a location', () => {
    assert.match(loadError('sev-snp: [\n'), /policy\.yaml:\d+:\d+: /);
  });
});
