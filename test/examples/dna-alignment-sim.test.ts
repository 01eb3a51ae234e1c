/**
 * docs/protocol.md §10.1 on a real workflow: examples/dna-alignment passes
 * bowtie2-build's index directory from one step to the next. On attested
 * sim workers that directory travels as a tar stream inside age, and the
 * owner's decrypted SAM equals the unencrypted (`--platform none`) run's,
 * apart from @PG (which records paths).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { compareSam } from '../../examples/dna-alignment/compare-sam.js';

const skip = needs(['bowtie2', 'bowtie2-examples', 'samtools']);

describe('§10.1 dna-alignment under --platform sim', () => {
  test('§10.1 examples/dna-alignment runs on attested sim workers and its SAM equals the --platform none SAM, ignoring @PG', { skip }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-dna-sim-'));
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const dna = path.join(REPO, 'examples', 'dna-alignment');
    try {
      const sim = await runCli(['run', dna, '--platform', 'sim', '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'sim'), '--quiet'], { env });
      assert.equal(sim.code, 0, sim.stderr.slice(-3000));
      assert.match(sim.stderr, /attested: sim evidence \(NOT a TEE\)/);
      const none = await runCli(['run', dna, '--platform', 'none', '--no-encrypt', '--state-dir', path.join(root, 'state'), '--out', path.join(root, 'none'), '--quiet'], { env });
      assert.equal(none.code, 0, none.stderr.slice(-3000));
      const sealed = path.join(root, 'sim', 'sam.sam.age');
      assert.ok(fs.readFileSync(sealed).subarray(0, 21).toString() === 'age-encryption.org/v1', 'the sim run\'s SAM is encrypted to the owner');
      const dec = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '-o', path.join(root, 'sim.sam'), sealed], { env });
      assert.equal(dec.code, 0, dec.stderr);
      // Where platform none also encrypts (to the owner), its SAM is decrypted the same way.
      let plain = path.join(root, 'none', 'sam.sam');
      if (fs.readFileSync(plain).subarray(0, 21).toString() === 'age-encryption.org/v1') {
        const d = await runCli(['decrypt', '-i', path.join(root, 'home', 'owner-identity.txt'), '-o', path.join(root, 'none.sam'), plain], { env });
        assert.equal(d.code, 0, d.stderr);
        plain = path.join(root, 'none.sam');
      }
      const cmp = await compareSam(path.join(root, 'sim.sam'), plain);
      assert.ok(cmp.equal, cmp.difference);
      assert.equal(cmp.lines, 20_000 + 2);
      const runs = fs.readdirSync(path.join(root, 'state', 'runs'));
      const journal = runs.map((r) => fs.readFileSync(path.join(root, 'state', 'runs', r, 'journal.jsonl'), 'utf8')).find((t) => t.includes('"platform":"sim"')) ?? '';
      const build = journal.split('\n').filter((l) => l.includes('"step-succeeded"') && l.includes('"step":"build"'))[0] ?? '';
      assert.match(build, /"index":\{"class":"Directory","path":"[^"]+","size":\d+,"sha256":"[0-9a-f]{64}"\}/, 'the index directory was sealed and its ciphertext hash recorded');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
