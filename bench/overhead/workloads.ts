/**
 * The overhead workload in each tool's own form: N trivial command steps
 * (`true`) fanning in to one gather step.
 *
 * - sealflow "steps": N distinct steps in flow.yaml, each capturing its
 *   (empty) stdout as a file output, all feeding one gather step.
 * - sealflow "scatter": one step scattered over N elements, then the gather.
 * - cwltool: a scatter over a CommandLineTool (cwltool's fastest form).
 * - snakemake: N jobs of one rule, then the gather rule.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeSealflowSteps(dir: string, n: number): string {
  const lines = ['name: overhead-steps', 'outputs:', '  done: { type: file, from: gather/o }', 'steps:'];
  for (let i = 0; i < n; i++) lines.push(`  s${i}:`, '    command: ["true"]', '    stdout: o', '    out: { o: { type: file, glob: o } }');
  lines.push('  gather:', '    command: ["true"]', '    stdout: o', '    in:', '      xs:', '        type: "file[]"', '        from:');
  for (let i = 0; i < n; i++) lines.push(`          - s${i}/o`);
  lines.push('    out: { o: { type: file, glob: o } }');
  const file = path.join(dir, 'steps', 'flow.yaml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function writeSealflowScatter(dir: string, n: number): { flow: string; inputs: string } {
  const d = path.join(dir, 'scatter');
  fs.mkdirSync(d, { recursive: true });
  const flow = path.join(d, 'flow.yaml');
  fs.writeFileSync(
    flow,
    `name: overhead-scatter
inputs:
  xs: "number[]"
outputs:
  done: { type: file, from: gather/o }
steps:
  t:
    command: ["true"]
    scatter: x
    in: { x: xs }
    stdout: o
    out: { o: { type: file, glob: o } }
  gather:
    command: ["true"]
    stdout: o
    in: { xs: { from: t/o, type: "file[]" } }
    out: { o: { type: file, glob: o } }
`,
  );
  const inputs = path.join(d, 'inputs.yaml');
  fs.writeFileSync(inputs, `xs: [${Array.from({ length: n }, (_, i) => i).join(', ')}]\n`);
  return { flow, inputs };
}

export function writeCwl(dir: string, n: number): { workflow: string; job: string } {
  const d = path.join(dir, 'cwl');
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(d, 'true.cwl'),
    `cwlVersion: v1.2
class: CommandLineTool
baseCommand: "true"
inputs:
  x: int
outputs:
  o: stdout
stdout: o
`,
  );
  fs.writeFileSync(
    path.join(d, 'gather.cwl'),
    `cwlVersion: v1.2
class: CommandLineTool
baseCommand: "true"
inputs:
  xs: File[]
outputs:
  o: stdout
stdout: o
`,
  );
  const workflow = path.join(d, 'wf.cwl');
  fs.writeFileSync(
    workflow,
    `cwlVersion: v1.2
class: Workflow
requirements:
  ScatterFeatureRequirement: {}
inputs:
  xs: int[]
outputs:
  done:
    type: File
    outputSource: gather/o
steps:
  t:
    run: true.cwl
    scatter: x
    in: { x: xs }
    out: [o]
  gather:
    run: gather.cwl
    in: { xs: t/o }
    out: [o]
`,
  );
  const job = path.join(d, 'job.yaml');
  fs.writeFileSync(job, `xs: [${Array.from({ length: n }, (_, i) => i).join(', ')}]\n`);
  return { workflow, job };
}

export function writeSnakefile(dir: string, n: number): string {
  const d = path.join(dir, 'snakemake');
  fs.mkdirSync(d, { recursive: true });
  const file = path.join(d, 'Snakefile');
  fs.writeFileSync(
    file,
    `N = ${n}

rule all:
    input: "gather.o"

rule step:
    output: "s/{i}.o"
    shell: "true > {output}"

rule gather:
    input: expand("s/{i}.o", i=range(N))
    output: "gather.o"
    shell: "true > {output}"
`,
  );
  return file;
}
