/**
 * The input-file workload of the scale bench: one trivial step (`true`) that
 * reads F owner input files (a `file[]` workflow input), each a few bytes
 * distinct from the others. The step scatter of the other half is the
 * overhead bench's (`writeSealflowScatter`).
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeFilesWorkload(dir: string, f: number): { flow: string; inputs: string } {
  const d = path.join(dir, 'files');
  const data = path.join(d, 'data');
  fs.mkdirSync(data, { recursive: true });
  const flow = path.join(d, 'flow.yaml');
  fs.writeFileSync(
    flow,
    `name: scale-files
inputs:
  fs: "file[]"
outputs:
  done: { type: file, from: t/o }
steps:
  t:
    command: ["true"]
    stdout: o
    in: { xs: { from: fs, type: "file[]" } }
    out: { o: { type: file, glob: o } }
`,
  );
  const names: string[] = [];
  for (let i = 0; i < f; i++) {
    const name = path.join(data, `f${i}.txt`);
    fs.writeFileSync(name, `input file ${i}\n`);
    names.push(JSON.stringify(name));
  }
  const inputs = path.join(d, 'inputs.yaml');
  fs.writeFileSync(inputs, `fs: [${names.join(', ')}]\n`);
  return { flow, inputs };
}
