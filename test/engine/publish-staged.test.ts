import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { stageOutputs } from '../../src/engine/publish.js';

function outDirWithEarlierRun(): { root: string; out: string; src: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-publish-'));
  const out = path.join(root, 'out');
  fs.mkdirSync(path.join(out, 'parts'), { recursive: true });
  fs.writeFileSync(path.join(out, 'result.txt'), 'old\n');
  fs.writeFileSync(path.join(out, 'parts', '0-a.txt'), 'old part\n');
  fs.writeFileSync(path.join(out, 'outputs.json'), '{"old":true}\n');
  fs.writeFileSync(path.join(out, 'receipt.json'), '{"old receipt":true}\n');
  const src = path.join(root, 'run');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'total.txt'), 'new\n');
  fs.writeFileSync(path.join(src, 'b.txt'), 'new part\n');
  return { root, out, src };
}

const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : 'dir']));

describe('staged publication of outputs and receipt', () => {
  test('nothing in the output directory changes until commit, and discard leaves it exactly as it was', () => {
    const { root, out, src } = outDirWithEarlierRun();
    const before = snapshot(out);
    const staged = stageOutputs({ result: { class: 'File', path: path.join(src, 'total.txt') }, parts: [{ class: 'File', path: path.join(src, 'b.txt') }] }, out);
    fs.writeFileSync(path.join(staged.dir, 'receipt.json'), '{"new receipt":true}\n');
    const visible = Object.fromEntries(Object.entries(snapshot(out)).filter(([f]) => !f.startsWith(path.basename(staged.dir))));
    assert.deepEqual(visible, before, 'the earlier outputs, outputs.json and receipt are untouched while staged');
    staged.discard();
    assert.deepEqual(snapshot(out), before);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('commit puts the outputs, outputs.json with their final paths, and the receipt in place, and removes the staging directory', () => {
    const { root, out, src } = outDirWithEarlierRun();
    const staged = stageOutputs({ result: { class: 'File', path: path.join(src, 'total.txt') }, parts: [{ class: 'File', path: path.join(src, 'b.txt') }] }, out);
    assert.deepEqual(staged.published, { result: { class: 'File', path: path.join(out, 'result.txt') }, parts: [{ class: 'File', path: path.join(out, 'parts', '0-b.txt') }] });
    assert.equal((staged.staged['result'] as { path: string }).path, path.join(staged.dir, 'result.txt'));
    fs.writeFileSync(path.join(staged.dir, 'receipt.json'), '{"new receipt":true}\n');
    staged.commit();
    assert.deepEqual(snapshot(out), {
      'outputs.json': `${JSON.stringify(staged.published, null, 2)}\n`,
      parts: 'dir',
      'parts/0-b.txt': 'new part\n',
      'receipt.json': '{"new receipt":true}\n',
      'result.txt': 'new\n',
    });
    fs.rmSync(root, { recursive: true, force: true });
  });
});
