/**
 * The CWL v1.2 conformance suite's `required` tests through the real
 * cwltest, driving sealflow-cwl-runner (docs/cwl-conformance.md has the whole
 * suite; `npm run conformance` writes it), in both modes. CI time on 2 busy
 * cores with -j 2: plain about 55 s, sim about 2.5 minutes (each test starts an
 * attested run: workers, evidence, key release, receipt).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MODES, runMode } from '../../../bench/cwl-conformance.js';
import { needs } from '../../helpers/needs.js';
import { SHARED } from '../../helpers/shared.js';

const suite = path.join(SHARED, 'cwl-v1.2');
const cwltest = path.join(SHARED, 'tools', 'cwltest');
const missingSuite = fs.existsSync(path.join(suite, 'conformance_tests.yaml')) && fs.existsSync(path.join(cwltest, 'src', 'cwltest')) ? false : `SKIPPED LOUDLY: the CWL suite or cwltest's source is not under ${SHARED} (cwl-v1.2/, tools/cwltest/)`;
if (missingSuite) process.stderr.write(`${missingSuite}\n`);
const skip = missingSuite || needs(['python3-schema-salad', 'python3-junit.xml', 'python3-defusedxml']);

for (const mode of ['plain', 'sim'] as const) {
  test(`every required CWL v1.2 conformance test passes in ${mode} mode (${mode === 'plain' ? '--platform none --no-encrypt' : 'attested sim workers, every file encrypted, outputs checked against the receipt'})`, { skip }, () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `sealflow-cwl-required-${mode}-`));
    try {
      const r = runMode(MODES[mode]!, { suite, cwltest, jobs: 2, tags: 'required', work });
      const req = r.tags['required'];
      assert.ok(req, 'cwltest reported no required tests');
      const not = [...req.failed, ...req.unsupported].map((id) => `${id}: ${r.reasons[id] ?? '?'}`);
      assert.deepEqual(not, [], `required tests that did not pass in ${mode} mode:\n${not.join('\n')}`);
      assert.equal(req.passed.length, 84);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}
