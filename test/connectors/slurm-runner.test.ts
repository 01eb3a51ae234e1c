/**
 * The local command runner of the slurm transport (src/connectors/slurm/runner.ts):
 * Slurm's client commands get exactly PATH and SLURM_CONF, `/` as working
 * directory, the script on standard input, and their exit status — never a
 * rejection for a failing command.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { localRunner } from '../../src/connectors/slurm/index.js';

test('client commands get exactly PATH and SLURM_CONF, whatever the caller has', async () => {
  process.env['SEALFLOW_RUNNER_CANARY'] = 'caller-only';
  process.env['SBATCH_PARTITION'] = 'from-the-caller';
  after(() => {
    delete process.env['SEALFLOW_RUNNER_CANARY'];
    delete process.env['SBATCH_PARTITION'];
  });
  const r = await localRunner({ slurmConf: '/etc/slurm/test.conf', path: '/usr/bin:/bin' })(['/usr/bin/env']);
  assert.deepEqual(r, { code: 0, stdout: 'PATH=/usr/bin:/bin\nSLURM_CONF=/etc/slurm/test.conf\n', stderr: '' });
  const without = await localRunner({ path: '/usr/bin:/bin' })(['/usr/bin/env']);
  assert.equal(without.stdout, 'PATH=/usr/bin:/bin\n');
});

test("client commands run in /, not in the caller's directory", async () => {
  assert.equal((await localRunner()(['pwd'])).stdout, '/\n');
});

test('standard input reaches the command, and a failing command resolves with its status and stderr', async () => {
  assert.deepEqual(await localRunner()(['cat'], { stdin: '#!/bin/bash\n#SBATCH --job-name=x\n' }), { code: 0, stdout: '#!/bin/bash\n#SBATCH --job-name=x\n', stderr: '' });
  assert.deepEqual(await localRunner()(['sh', '-c', 'echo "sbatch: error: no" >&2; exit 3']), { code: 3, stdout: '', stderr: 'sbatch: error: no\n' });
});

test('a command that is missing or does not finish in time resolves with no status and says why', async () => {
  const missing = await localRunner()(['/nonexistent/sbatch']);
  assert.equal(missing.code, null);
  assert.match(missing.stderr, /^\/nonexistent\/sbatch could not be run: .*ENOENT/);
  const slow = await localRunner({ timeoutMs: 200 })(['sleep', '30']);
  assert.deepEqual(slow, { code: null, stdout: '', stderr: 'sleep did not finish within 200 ms and was killed' });
});
