/**
 * The run's master session (src/master/master-session.ts): a master closed
 * before any attested session opened (its workers failed to start) opens
 * none afterwards, so a late preadmit leaves no ports that keep the run alive.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MasterSession } from '../../src/master/master-session.js';

test('a master closed before any session opened refuses to open one, and a late preadmit opens nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-master-session-'));
  let after: () => Promise<unknown> | undefined = () => undefined;
  try {
    const input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, 'x');
    const master = new MasterSession({ runId: 'r-closed', runRoot: dir, warn: () => undefined });
    after = () => master.opened()?.then((s) => s.close()).catch(() => undefined); // if one opened anyway, its ports end with the test
    await master.close();
    master.preadmit({ text: { class: 'File', path: input } } as never);
    assert.equal(master.opened(), undefined);
    await assert.rejects(master.attested(), /the master of run r-closed is closed/);
    assert.equal(master.opened(), undefined);
  } finally {
    await after();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
