/**
 * docs/protocol.md §14.7: the receipt (version 2) lists, per step instance,
 * the programs it ran with their SHA-256 and whether they were pinned
 * (§10.3); verification refuses a changed entry, and reads version 1.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { RunEvent } from '../../src/engine/events.js';
import { stepTools } from '../../src/master/receipt/build.js';
import { canonicalJson } from '../../src/master/receipt/canonical.js';
import type { Receipt } from '../../src/master/receipt/model.js';
import { ReceiptError, signReceipt, verifyReceiptBytes } from '../../src/master/receipt/signature.js';
import { masterSigner, sampleReceipt } from './sample.js';

/** A 64-hex-digit SHA-256 made of the two digits `c`. */
const h = (c: string) => c.repeat(32);
const succeeded = (step: string, attempt: number, tools: { tool: string; path: string; sha256: string; expected?: string }[]): RunEvent =>
  ({ type: 'step-succeeded', t: 1, step, index: 0, attempt, hash: 'x', outputs: {}, exitStatus: 0, durationMs: 1, tools });

describe('§14.7 the receipt lists the tools each step ran', () => {
  test('per step instance: the tools of the attempt whose outputs were used, pinned or not', () => {
    const events: RunEvent[] = [
      succeeded('align', 1, [{ tool: 'bowtie2-align-s', path: '/old/bowtie2-align-s', sha256: h('01'), expected: h('01') }]),
      { type: 'step-failed', t: 2, step: 'sort', index: 0, attempt: 1, exitStatus: null, signal: null, message: 'pin mismatch', stderrTail: '', willRetry: true, durationMs: 1, tools: [{ tool: 'samtools', path: '/usr/bin/samtools', sha256: h('02'), expected: h('03') }] },
      succeeded('sort', 2, [{ tool: 'samtools', path: '/usr/bin/samtools', sha256: h('03'), expected: h('03') }]),
      succeeded('align', 2, [{ tool: 'bowtie2-align-s', path: '/usr/bin/bowtie2-align-s', sha256: h('04'), expected: h('04') }, { tool: 'true', path: '/usr/bin/true', sha256: h('05') }]),
      succeeded('task', 1, []),
    ];
    assert.deepEqual(stepTools(events), [
      { step: 'sort', index: 0, attempt: 2, tools: [{ tool: 'samtools', path: '/usr/bin/samtools', sha256: h('03'), pinned: true }] },
      {
        step: 'align', index: 0, attempt: 2,
        tools: [{ tool: 'bowtie2-align-s', path: '/usr/bin/bowtie2-align-s', sha256: h('04'), pinned: true }, { tool: 'true', path: '/usr/bin/true', sha256: h('05'), pinned: false }],
      },
    ]);
  });

  const signer = masterSigner();
  const withTools = (r: Receipt): Receipt => ({ ...r, tools: [{ step: 'align', index: 0, attempt: 1, tools: [{ tool: 'mark-tool', path: '/opt/bin/mark-tool', sha256: h('ab'), pinned: true }] }] });
  const sign = (r: unknown) => Buffer.from(signReceipt(r as Receipt, signer.signingKey, signer.publicKey));

  test('a version 2 receipt with tools verifies; changing a tool\'s SHA-256, path or pinned flag breaks the signature', () => {
    const bytes = sign(withTools(sampleReceipt(signer.pin)));
    assert.equal(verifyReceiptBytes(bytes, signer).tools?.[0]?.tools[0]?.sha256, h('ab'));
    for (const [from, to] of [[h('ab'), h('ac')], ['/opt/bin/mark-tool', '/opt/bin/mark-toot'], ['"pinned":true', '"pinned":false']] as const) {
      const text = bytes.toString('utf8');
      assert.ok(text.includes(from), from);
      assert.throws(() => verifyReceiptBytes(Buffer.from(text.replace(from, to)), signer), (e: unknown) => e instanceof ReceiptError && /the signature is invalid — the receipt was modified after the master signed it .*a tool's path or SHA-256/.test(e.message));
    }
  });

  test('a receipt of a version newer than this sealflow reads is refused, saying to use a newer sealflow', () => {
    const bytes = sign({ ...withTools(sampleReceipt(signer.pin)), version: 3 });
    assert.throws(() => verifyReceiptBytes(bytes, signer, 'r.json'), (e: unknown) => e instanceof ReceiptError && e.message === 'r.json is a version 3 sealflow receipt, newer than this sealflow reads (versions 1, 2): verify it with a newer sealflow');
    assert.throws(() => verifyReceiptBytes(sign({ ...sampleReceipt(signer.pin), version: 0 }), signer, 'r.json'), /r\.json has an unknown receipt version 0/);
  });

  test('a version 1 receipt (no tools) still verifies; a version 1 with tools, or a version 2 without, is refused', () => {
    const { tools: _tools, ...v1 } = { ...sampleReceipt(signer.pin), version: 1 as const };
    assert.equal(verifyReceiptBytes(sign(v1), signer).tools, undefined);
    assert.throws(() => verifyReceiptBytes(sign({ ...withTools(sampleReceipt(signer.pin)), version: 1 }), signer), /a version 1 receipt has no tools list, but this one has one/);
    assert.throws(() => verifyReceiptBytes(sign({ ...v1, version: 2 }), signer), /a version 2 receipt must list tools/);
    const badHash = withTools(sampleReceipt(signer.pin));
    const entry = badHash.tools![0]!;
    assert.throws(() => verifyReceiptBytes(sign({ ...badHash, tools: [{ ...entry, tools: [{ ...entry.tools[0]!, sha256: 'abc' }] }] }), signer), /step align\[0\]: a tool entry is not \{tool, path, sha256 \(64 hex\), pinned\}/);
  });
});

describe('§14.7 a run with a pinned tool', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-receipt-tools-')));
  const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
  const tool = path.join(root, 'bin', 'mark-tool');
  const receipt = path.join(root, 'out', 'receipt.json');
  let sha = '';
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  before(async () => {
    fs.mkdirSync(path.dirname(tool));
    fs.writeFileSync(tool, '#!/bin/sh\necho marked > mark.txt\n', { mode: 0o755 });
    sha = createHash('sha256').update(fs.readFileSync(tool)).digest('hex');
    fs.writeFileSync(
      path.join(root, 'flow.yaml'),
      'name: tools\noutputs:\n  mark: { type: file, from: align/mark }\nsteps:\n  align:\n    command: [mark-tool]\n    out:\n      mark: { type: file, glob: mark.txt }\n  check:\n    command: [\'true\']\n',
    );
    fs.writeFileSync(path.join(root, 'sealflow.yaml'), `deployments:\n  local: { workers: 1 }\npath: ${path.dirname(tool)}:/usr/bin:/bin\ntools:\n  mark-tool: { sha256: ${sha} }\n`);
    const r = await runCli(['run', root, '--out', 'out'], { cwd: root, env });
    assert.equal(r.code, 0, r.stderr);
  });

  test('its receipt lists the pinned tool with its path and SHA-256, and the unpinned one as not pinned; verify shows both', async () => {
    const { receipt: r } = JSON.parse(fs.readFileSync(receipt, 'utf8')) as { receipt: Receipt };
    assert.equal(r.version, 2);
    const byStep = new Map(r.tools?.map((s) => [s.step, s.tools]));
    assert.deepEqual(byStep.get('align'), [{ tool: 'mark-tool', path: tool, sha256: sha, pinned: true }]);
    const trueBin = fs.realpathSync('/usr/bin/true');
    assert.deepEqual(byStep.get('check'), [{ tool: 'true', path: trueBin, sha256: createHash('sha256').update(fs.readFileSync(trueBin)).digest('hex'), pinned: false }]);
    const v = await runCli(['receipt', 'verify', receipt, '--outputs', path.join(root, 'out')], { cwd: root, env });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^tools: 2 run by 2 step instances \(1 pinned: SHA-256 checked before exec; 1 unpinned: recorded only\)$/m);
    assert.ok(v.stdout.includes(`  align[0] attempt 1: mark-tool ${tool} sha256 ${sha} pinned\n`), v.stdout);
    assert.match(v.stdout, /^ {2}check\[0\] attempt 1: true \S+ sha256 [0-9a-f]{64} NOT pinned$/m);
  });

  test('changing the tool entry in the receipt makes verify fail (exit 1) saying it was modified after signing', async () => {
    const text = fs.readFileSync(receipt, 'utf8');
    const forged = path.join(root, 'forged.json');
    const other = createHash('sha256').update('another tool').digest('hex');
    fs.writeFileSync(forged, text.replace(sha, other));
    assert.notEqual(fs.readFileSync(forged, 'utf8'), text);
    const v = await runCli(['receipt', 'verify', forged], { cwd: root, env });
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stderr, /the signature is invalid — the receipt was modified after the master signed it/);
    // Still canonical: the refusal is the signature's, not the layout's.
    assert.equal(`${canonicalJson(JSON.parse(fs.readFileSync(forged, 'utf8')))}\n`, fs.readFileSync(forged, 'utf8'));
  });
});
