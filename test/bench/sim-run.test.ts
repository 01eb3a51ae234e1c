import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { EXAMPLES } from '../../examples/catalog.js';
import { detectCapabilities, MATRIX } from '../../src/bench/matrix.js';
import { probeRunOptions } from '../../src/cli/commands/bench.js';
import { measure } from '../../src/bench/measure.js';
import { commandFor, outDirOf, prepareBenchHome } from '../../src/bench/run-bench.js';
import { runCli } from '../helpers/cli.js';

const config = (id: string) => MATRIX.find((c) => c.id === id)!;

describe('the bench harness on platform sim', () => {
  test('runs sim-enc with --platform sim in an isolated SEALFLOW_HOME, and its encrypted output decrypts to the none run’s output', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'sealflow-bench-sim-'));
    try {
      const caps = detectCapabilities(probeRunOptions());
      const home = await prepareBenchHome(path.join(tmp, 'home'));
      assert.equal(home.env['SEALFLOW_HOME'], path.join(tmp, 'home'));
      assert.ok(existsSync(path.join(tmp, 'home', 'master', 'master.json')), 'the development master is made before any measured run');
      assert.equal((await stat(home.ownerIdentity)).mode & 0o777, 0o600, 'the owner identity is a secret file');
      assert.equal(path.dirname(home.ownerIdentity), path.join(tmp, 'home'));

      const inputs = await EXAMPLES['word-count']!.prepare('100KB', path.join(tmp, 'data'));
      const outputs: Record<string, string> = {};
      for (const id of ['none-plain', 'sim-enc']) {
        const scratch = path.join(tmp, id);
        await mkdir(scratch);
        const argv = await commandFor(config(id), 'word-count', inputs, null, caps, scratch, path.join(tmp, 'work'));
        const platform = argv.indexOf('--platform');
        assert.deepEqual(argv.slice(platform, platform + 2), ['--platform', id === 'sim-enc' ? 'sim' : 'none'], argv.join(' '));
        assert.equal(argv.includes('--no-encrypt'), id === 'none-plain' && caps.noEncryptOption, argv.join(' '));
        assert.ok(!argv.includes('--config'), argv.join(' '));
        const m = await measure(argv, { cwd: scratch, env: home.env });
        assert.ok(m.ok, m.error);
        outputs[id] = path.join(outDirOf(scratch), id === 'sim-enc' ? 'counts.tsv.age' : 'counts.tsv');
      }
      const plain = await readFile(outputs['none-plain']!);
      const sealed = await readFile(outputs['sim-enc']!);
      assert.ok(plain.length > 0);
      assert.ok(sealed.subarray(0, 22).toString('latin1') === 'age-encryption.org/v1\n', 'the sim output is an age file');
      const d = await runCli(['decrypt', '-i', home.ownerIdentity, outputs['sim-enc']!]);
      assert.equal(d.code, 0, d.stderr);
      assert.ok(d.stdoutBytes.equals(plain), 'sim and none compute the same word counts');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
