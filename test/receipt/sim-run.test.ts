import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import type { Receipt } from '../../src/master/receipt/model.js';

describe('§14 an encrypted run on sim workers', () => {
  test('produces a receipt that verifies, says "simulated, not a TEE", lists ciphertext hashes, and decrypt --receipt decrypts its result', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-receipt-sim-'));
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'receipt', 'sim'), path.join(cwd, 'flow'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'in.txt'), 'receipt canary\n');
    const env = { SEALFLOW_HOME: path.join(cwd, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const r = await runCli(['run', 'flow', '--input', 'text=in.txt', '--out', 'out'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(cwd, 'out', 'receipt.json');
    const v = await runCli(['receipt', 'verify', file, '--outputs', path.join(cwd, 'out')], { cwd, env });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /enclaves-1 \(sim on \S+\): simulated, not a TEE/);
    const { receipt } = JSON.parse(fs.readFileSync(file, 'utf8')) as { receipt: Receipt };
    assert.equal(receipt.encrypted, true);
    assert.equal(receipt.workers[0]?.claims?.platform, 'sim');
    assert.match(receipt.inputs[0]?.ciphertextSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(receipt.outputs.every((o) => o.encrypted));
    assert.ok(receipt.keyReleases.some((k) => k.decision === 'released' && k.worker === 'enclaves-1'));
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes('canary') && !text.includes('CANARY') && !text.includes('AGE-SECRET-KEY'));
    const d = await runCli(['decrypt', '--receipt', file, '-i', path.join(cwd, 'home', 'owner-identity.txt'), path.join(cwd, 'out', 'result.txt.age')], { cwd, env });
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, 'RECEIPT CANARY\n');
  });
});
