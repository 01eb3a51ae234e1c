/**
 * bench/speed (issue 15's table in one invocation): it reads each owning
 * benchmark's output as that benchmark prints it, says so when it cannot
 * (never a made-up figure), judges each goal on CPU and on wall time, and
 * its command line documents itself and refuses unknown sections.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encryptionRows, overheadRows, parseEncryption, parseOverhead, wordCountRows } from '../../bench/speed/peers.js';
import { renderTable, verdict } from '../../bench/speed/table.js';
import { REPO } from '../helpers/cli.js';

const OVERHEAD = `overhead: N trivial \`true\` steps + 1 gather; best of 1; 2 cores; load average 0.50 0.40 0.30

| tool | N | total s | ms/step | CPU s | CPU ms/step |
|---|---:|---:|---:|---:|---:|
| floor: node spawn true, 2 at a time | 100 | 0.30 | 3.00 | 0.20 | 2.00 |
| sealflow (N steps) | 1000 | 2.40 | 2.40 | 3.00 | 3.00 |

| tool | fixed s | marginal ms/step | fixed CPU s | marginal CPU ms/step |
|---|---:|---:|---:|---:|
| floor: node spawn true, 2 at a time | 0.10 | 1.39 | 0.05 | 1.20 |
| sealflow (N steps) | 0.18 | 1.90 | 0.25 | 2.40 |
| sealflow (scatter) | 0.20 | 1.50 | 0.30 | 2.00 |
| sealflow (N steps, encrypted) | 0.40 | 3.80 | 0.50 | 4.80 |
| cwltool --no-container | 1.50 | 22.40 | 1.40 | 20.00 |
| cwltool --no-container --parallel | 1.60 | 25.00 | 1.50 | 24.00 |
`;

const ENCRYPTION = `bench/encryption: 256 MiB, 1 warm-up + 3 runs per command (alternating age, sealflow), 2 cores, load 1.37 1.05 2.77
age 1.1.1, node v20.20.2; sealflow = /work/main/dist/src/cli/bin.js

case                 tool       wall s best / median   throughput vs age best / median   CPU-s   peak RSS   load before
encrypt → /dev/null  age          0.400 / 0.420                                           0.41      5 MiB   1.37
                     sealflow     0.500 / 0.520        0.80× / 0.81×                      0.55     73 MiB   
encrypt → file       age          0.600 / 0.610                                           0.60      5 MiB   1.37
                     sealflow     0.400 / 0.410        1.50× / 1.49×                      0.70     74 MiB   
`

describe('bench/speed', () => {
  test('reads the fixed and marginal cost of each tool from bench/overhead\'s line-fit table', () => {
    const fits = parseOverhead(OVERHEAD);
    assert.deepEqual(fits.get('sealflow (N steps)'), { fixed: 0.18, perStepMs: 1.9, fixedCpu: 0.25, perStepCpuMs: 2.4 });
    assert.equal(fits.has('tool'), false);
    assert.equal(fits.size, 6, 'the per-N table (five figures a row) is not read as line fits');
  });

  test('judges the plain steps on 2 ms/step and 0.2 s fixed, and the encrypted ones against the plain ones of the same run', () => {
    const [plain, enc] = overheadRows(OVERHEAD);
    assert.equal(plain?.met, 'met on wall, not on CPU');
    assert.match(plain?.peer ?? '', /cwltool 22\.40 ms\/step/, 'the fastest cwltool form is the peer');
    assert.match(plain?.peer ?? '', /floor .* 1\.39 ms\/step/);
    assert.equal(enc?.met, 'not met');
    assert.match(enc?.ratio ?? '', /^2\.00× wall, 2\.00× CPU per step$/);
  });

  test('says a benchmark could not be read instead of inventing figures', () => {
    const [row] = overheadRows('something else entirely');
    assert.equal(row?.met, 'not measured');
    assert.deepEqual(encryptionRows('', '256 MiB', 1)[0]?.met, 'not measured');
    assert.equal(wordCountRows({ cases: [] }, '100 MB')[0]?.met, 'not measured');
  });

  test("reads bench/encryption's cases: best times of both tools and their CPU seconds; the ratio is age's time over sealflow's", () => {
    assert.deepEqual(parseEncryption(ENCRYPTION), [
      { name: 'encrypt → /dev/null', ageBest: 0.4, sfBest: 0.5, sfCpu: 0.55, ageCpu: 0.41 },
      { name: 'encrypt → file', ageBest: 0.6, sfBest: 0.4, sfCpu: 0.7, ageCpu: 0.6 },
    ]);
    const rows = encryptionRows(ENCRYPTION, '256 MiB', 1.0);
    assert.deepEqual(rows.map((r) => [r.what, r.ratio, r.met]), [
      ['encrypt 256 MiB → /dev/null', "0.80× age's throughput", 'not met'],
      ['encrypt 256 MiB → file', "1.50× age's throughput", 'met'],
    ]);
  });

  test('word count compares sim + encrypted with the same run plain, on CPU and on wall medians', () => {
    const results = { cases: [{ example: 'word-count', configs: [{ id: 'native', wall: { median: 1 }, cpu: { median: 1 } }, { id: 'none-plain', wall: { median: 10 }, cpu: { median: 8 } }, { id: 'sim-enc', wall: { median: 10.5 }, cpu: { median: 9.6 } }] }] };
    const [row] = wordCountRows(results, '100 MB');
    assert.equal(row?.ratio, '1.20× CPU, 1.05× wall');
    assert.equal(row?.met, 'met on wall, not on CPU');
    assert.equal(verdict(true, true), 'met');
  });

  test('a cell holding a pipe does not break the markdown table', () => {
    const t = renderTable([{ what: 'a | b', sealflow: '1', peer: '2', ratio: '3', goal: '4', met: 'met' }], false);
    assert.equal(t.split('\n')[2], '| a \\| b | 1 | 2 | 3 | 4 | met |');
  });

  test('--help names every section with the command it runs, and an unknown section is a usage error', () => {
    const main = path.join(REPO, 'dist', 'bench', 'speed', 'main.js');
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    for (const s of ['startup', 'steps', 'encryption', 'word-count', '--quick', '--before', 'bench/overhead/main.js --n 100,1000', 'bench/encryption/main.js --size 256MiB']) assert.ok(help.stdout.includes(s), `--help mentions ${s}`);
    const bad = spawnSync(process.execPath, [main, '--only', 'startup,nonsense'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--only startup,nonsense: unknown section nonsense \(the sections: startup, steps, encryption, word-count\)/);
  });
});
