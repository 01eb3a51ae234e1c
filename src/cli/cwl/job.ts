/**
 * The CWL job order (input object) as the runner reads it: YAML or JSON,
 * File and Directory `location`/`path` resolved against the job file's
 * directory (the owner's own inputs may be anywhere local), remote
 * locations refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { lineOf, localPath, parseYaml } from '../../workflow/cwl/load/read.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function resolveFiles(v: unknown, base: string, file: string): unknown {
  if (Array.isArray(v)) return v.map((x) => resolveFiles(x, base, file));
  if (!isObj(v)) return v;
  const o: Obj = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveFiles(x, base, file)]));
  if (v.class === 'File' || v.class === 'Directory') {
    const loc = (v.location ?? v.path) as unknown;
    if (typeof loc === 'string') {
      const p = localPath(loc, base, lineOf(v, file), v.location !== undefined && !String(v.location).startsWith('file://'));
      o.path = p;
      o.location = `file://${p}`;
    }
  }
  return o;
}

export function readJob(file: string | undefined): Obj {
  if (file === undefined) return {};
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new InputError(`${file}: the job file does not exist`);
  const v = parseYaml(fs.readFileSync(abs, 'utf8'), abs);
  if (v === null) return {};
  if (!isObj(v)) throw new InputError(`${file}:1: a job file must be a map of input names to values`);
  return resolveFiles(v, path.dirname(abs), abs) as Obj;
}
