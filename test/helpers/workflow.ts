/** Helpers for workflow-loader tests: temporary workflow directories and error assertions. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import { REPO } from './cli.js';

export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'workflows');

/** Writes `files` (relative path -> content) into a fresh temporary directory and returns it. */
export async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealflow-wf-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return dir;
}

/** Awaits `p`, which must reject with a one-paragraph InputError containing every fragment. */
export async function rejectsWith(p: Promise<unknown>, ...fragments: Array<string | RegExp>): Promise<InputError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.ok(!caught.message.includes('\n'), `the message should be one paragraph: ${caught.message}`);
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(caught.message.includes(f), `message lacks ${JSON.stringify(f)}: ${caught.message}`);
    else assert.match(caught.message, f);
  }
  return caught;
}
