/** docs/protocol.md §10.3 and docs/workflow-format.md: the run configuration's `path:` and `tools:`. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadWorkflow } from '../../src/workflow/index.js';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { pinsForCommand } from '../../src/workflow/tools.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const HEX = 'ab'.repeat(32);
const FLOW = 'steps:\n  a:\n    command: [true]\n';

async function load(config: string) {
  const dir = await tempDir({ 'flow.yaml': FLOW, 'sealflow.yaml': config });
  return loadRunConfig(await loadWorkflow(dir));
}

const DEP = 'deployments:\n  local: { workers: 1 }\n';

describe('§10.3 run configuration: path and tools', () => {
  test('reads a fixed PATH and tool pins, hex in any case, with an optional absolute path', async () => {
    const cfg = await load(`${DEP}path: /opt/bio/bin:/usr/bin\ntools:\n  samtools: { sha256: ${HEX.toUpperCase()}, path: /usr/bin/samtools }\n  bowtie2-align-s:\n    sha256: ${HEX}\n`);
    assert.equal(cfg.path, '/opt/bio/bin:/usr/bin');
    assert.equal(cfg.tools?.['samtools']?.sha256, HEX);
    assert.equal(cfg.tools?.['samtools']?.path, '/usr/bin/samtools');
    assert.equal(cfg.tools?.['bowtie2-align-s']?.path, undefined);
    assert.equal(cfg.tools?.['bowtie2-align-s']?.loc.line, 6);
  });

  test('a configuration without them has neither', async () => {
    const cfg = await load(DEP);
    assert.equal(cfg.path, undefined);
    assert.equal(cfg.tools, undefined);
  });

  test('a pin whose sha256 is not 64 hex digits is refused at its file:line', async () => {
    await rejectsWith(load(`${DEP}tools:\n  samtools: { sha256: abc123 }\n`), /sealflow\.yaml:4:\d+/, 'tool "samtools"', 'sha256 must be 64 hexadecimal digits', 'sha256sum');
    await rejectsWith(load(`${DEP}tools:\n  samtools: { sha256: ${'g'.repeat(64)} }\n`), /sealflow\.yaml:4:\d+/, '64 hexadecimal digits');
  });

  test('an unknown key of a pin is refused at its file:line, suggesting the valid one', async () => {
    await rejectsWith(load(`${DEP}tools:\n  samtools:\n    sha256: ${HEX}\n    pth: /usr/bin/samtools\n`), /sealflow\.yaml:6:\d+/, "unknown key 'pth'", "did you mean 'path'");
  });

  test('a pin without sha256 is refused and says how to get one', async () => {
    await rejectsWith(load(`${DEP}tools:\n  samtools: { path: /usr/bin/samtools }\n`), /sealflow\.yaml:4:\d+/, "needs 'sha256", 'sealflow tools pin samtools');
  });

  test('a relative pin path, or one naming another file, is refused at its file:line', async () => {
    await rejectsWith(load(`${DEP}tools:\n  samtools: { sha256: ${HEX}, path: bin/samtools }\n`), /sealflow\.yaml:4:\d+/, 'path must be absolute');
    await rejectsWith(load(`${DEP}tools:\n  samtools: { sha256: ${HEX}, path: /usr/bin/bwa }\n`), /sealflow\.yaml:4:\d+/, "names a file other than 'samtools'");
  });

  test('a tool key with a slash is refused', async () => {
    await rejectsWith(load(`${DEP}tools:\n  /usr/bin/samtools: { sha256: ${HEX} }\n`), /sealflow\.yaml:4:\d+/, "file name (such as 'samtools')");
  });

  test('a relative or empty directory in path is refused at its file:line', async () => {
    await rejectsWith(load(`${DEP}path: /usr/bin:bin\n`), /sealflow\.yaml:3:\d+/, "'bin' is relative");
    await rejectsWith(load(`${DEP}path: '/usr/bin::/bin'\n`), /sealflow\.yaml:3:\d+/, 'is empty');
  });

  test('an assignment carries only the pins of the programs its command runs', () => {
    const pins = { samtools: { sha256: HEX, loc: { file: 'f', line: 1, column: 1 } }, bwa: { sha256: HEX, path: '/opt/bwa', loc: { file: 'f', line: 2, column: 1 } } };
    assert.deepEqual(Object.keys(pinsForCommand(['samtools', 'sort', 'x'], false, pins)), ['samtools']);
    assert.deepEqual(Object.keys(pinsForCommand(['/usr/bin/samtools', 'sort'], false, pins)), ['samtools']);
    assert.deepEqual(Object.keys(pinsForCommand(['sort', 'x'], false, pins)), []);
    assert.deepEqual(Object.keys(pinsForCommand(['bwa mem x | samtools view -b'], true, pins)), ['samtools', 'bwa']);
    assert.deepEqual(Object.keys(pinsForCommand(['$(tool)', 'x'], false, pins)), ['samtools', 'bwa'], 'a templated program may be any pinned tool');
    assert.deepEqual(pinsForCommand(['bwa'], false, pins)['bwa'], { sha256: HEX, path: '/opt/bwa' });
  });
});
