/**
 * docs/protocol.md §10.8: in a sealed attempt the outputs are encrypted from
 * the worker's scratch straight into their age files in the output
 * directory — `<name>.age`, a directory `<name>.tar.age` — and no plaintext
 * is ever renamed into the output directory (the run directory).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, X25519Identity } from '../../src/crypto/index.js';
import type { AssignMsg } from '../../src/protocol/execution.js';
import { prepareSealed } from '../../src/worker/attested/sealed.js';
import { startAttempt } from '../../src/worker/executor/attempt.js';
import { skipPlaintextOutputHashes } from '../../src/worker/executor/outputs.js';
import { collect } from '../helpers/bytes.js';
import { filesUnder } from '../helpers/files.js';

const AGE_MAGIC = 'age-encryption.org/v1\n';

describe('§10.8 sealed outputs go from scratch straight into age files', () => {
  test('a sealed attempt leaves no plaintext in its output directory at any point, and its outputs are <name>.age and <name>.tar.age age files', async () => {
    skipPlaintextOutputHashes(); // as the attested executor does
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-sealedout-'));
    try {
      const owner = X25519Identity.generate();
      const runDir = path.join(root, 'run');
      const outDir = path.join(runDir, 'steps', 'mk', '0');
      fs.mkdirSync(path.join(runDir, 'steps'), { recursive: true });
      const secret = 'PLAINTEXT-OUTPUT-0123456789';
      const msg = {
        type: 'assign',
        id: 'mk[0]#1',
        label: 'mk',
        exec: { kind: 'command', argv: ['sh', '-c', `printf '${secret}' > counts.tsv; mkdir -p tree/sub; printf '${secret}' > tree/sub/f.txt`], shell: false, env: {}, globs: { counts: 'counts.tsv', tree: 'tree' } },
        inputs: {},
        outputs: [
          { id: 'counts', type: { kind: 'file' }, optional: false },
          { id: 'tree', type: { kind: 'directory' }, optional: false },
        ],
        threads: 1,
        scratchDir: path.join(root, 'scratch', String(process.pid), 'mk.0.1'),
        outDir,
        logBase: path.join(runDir, 'logs', 'mk', '0'),
        sealed: { files: {}, recipients: [owner.recipient().toString()] },
      } as unknown as Parameters<typeof prepareSealed>[0];
      const kr = generateKeyPairSync('x25519');
      const prep = await prepareSealed(msg, kr.privateKey, path.join(root, 'code'));
      // What the run directory holds at the last moment before sealing starts: the old path had renamed the plaintext there.
      let beforeSealing: string[] = [];
      const attempt = startAttempt(prep.msg as AssignMsg, process.env['PATH'] ?? '/usr/bin:/bin', () => undefined, (r, keeper) => {
        beforeSealing = filesUnder(runDir);
        return prep.finish(r, keeper);
      });
      const r = await attempt.done;
      assert.equal(r.type, 'succeeded', JSON.stringify(r));
      assert.deepEqual(beforeSealing, [], 'nothing was in the run directory before the outputs were sealed');
      const outputs = (r as { outputs: Record<string, { class: string; path: string; size: number; sha256: string }> }).outputs;
      const counts = outputs['counts'];
      const tree = outputs['tree'];
      assert.equal(counts?.path, path.join(outDir, 'counts.tsv.age'), 'a file output is named as its age file');
      assert.equal(tree?.path, path.join(outDir, 'tree.tar.age'), 'a directory output is named as the age file of its tar stream');
      for (const v of [counts, tree]) {
        const bytes = fs.readFileSync(v?.path ?? '');
        assert.equal(bytes.subarray(0, AGE_MAGIC.length).toString(), AGE_MAGIC, `${v?.path} is an age file`);
        assert.equal(v?.size, bytes.length, 'the reported size is the ciphertext\'s');
        assert.equal(v?.sha256, createHash('sha256').update(bytes).digest('hex'), 'the reported hash is the ciphertext\'s');
      }
      assert.equal((await collect(decrypt([owner], fs.readFileSync(counts?.path ?? '')))).toString(), secret, 'the owner opens it');
      assert.deepEqual(filesUnder(runDir).filter((f) => fs.readFileSync(f).includes(secret)), [], 'no plaintext in the run directory');
      assert.deepEqual(filesUnder(outDir).sort(), [counts?.path, tree?.path].sort(), 'only the age files are in the output directory');
      assert.ok(!fs.existsSync(prep.msg.scratchDir) && !fs.existsSync(`${msg.scratchDir}.in`), 'the attempt\'s scratch and input directories are removed');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
