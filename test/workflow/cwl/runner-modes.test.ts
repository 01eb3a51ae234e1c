/**
 * sealflow-cwl-runner features that once worked in plain runs only, now in
 * the default mode too (attested `sim` workers, every file encrypted, the
 * outputs checked against the receipt): Directory literals built by an
 * expression, `cwl:requirements` in the job order, secondaryFiles patterns
 * written in JavaScript, and the basenames of files inside record outputs.
 * Each run is a real run of the runner as cwltest calls it. CI time: about
 * 30 s on 2 busy cores (six attested runs, one plain one, one refused before
 * it starts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO } from '../../helpers/cli.js';

const RUNNER = path.join(REPO, 'dist', 'src', 'cli', 'cwl', 'runner.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-cwl-modes-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const SIM: readonly string[] = [];
const PLAIN = ['--platform', 'none', '--no-encrypt'];

function write(name: string, text: string): string {
  const p = path.join(root, name);
  fs.writeFileSync(p, text);
  return p;
}

let n = 0;
function runner(mode: readonly string[], tool: string, job: string): Promise<{ code: number; stdout: string; stderr: string; outdir: string }> {
  const outdir = path.join(root, `out-${n++}`);
  // A fresh home and state directory per test file: the runner creates the local master and owner keys there.
  const env = { ...process.env, SEALFLOW_HOME: path.join(root, 'home') };
  const args = [RUNNER, '--quiet', '--outdir', outdir, ...mode, ...(mode === SIM ? ['--state-dir', path.join(root, 'state')] : []), tool, job];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, outdir }));
  });
}

write('a.txt', 'alpha\n');
write('b.txt', 'bravo bravo\n');
const filesJob = write('files.yml', 'files:\n  - {class: File, location: a.txt}\n  - {class: File, location: b.txt}\n');
const dirTool = (name: string) =>
  write(
    `dir-${name.replace(/\W/g, '_')}.cwl`,
    `class: ExpressionTool
cwlVersion: v1.2
requirements:
  InlineJavascriptRequirement: {}
inputs:
  files: File[]
outputs:
  dir: Directory
expression: |
  \${
  var l = inputs.files.slice();
  l.push({"class": "File", "basename": "note.txt", "contents": "made here\\n"});
  l.push({"class": "Directory", "basename": "inner", "listing": [inputs.files[0]]});
  return {"dir": {"class": "Directory", "basename": ${JSON.stringify(name)}, "listing": l}};
  }
`,
  );

test('a Directory literal an ExpressionTool builds from its input files is published in sim mode with every file inside it, decrypted', async () => {
  const r = await runner(SIM, dirTool('bundle'), filesJob);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { dir: { class: string; basename: string; path: string; listing: { basename: string }[] } };
  assert.equal(out.dir.class, 'Directory');
  assert.equal(out.dir.basename, 'bundle');
  assert.deepEqual(out.dir.listing.map((e) => e.basename).sort(), ['a.txt', 'b.txt', 'inner', 'note.txt']);
  assert.equal(fs.readFileSync(path.join(out.dir.path, 'a.txt'), 'utf8'), 'alpha\n');
  assert.equal(fs.readFileSync(path.join(out.dir.path, 'b.txt'), 'utf8'), 'bravo bravo\n');
  assert.equal(fs.readFileSync(path.join(out.dir.path, 'note.txt'), 'utf8'), 'made here\n');
  assert.equal(fs.readFileSync(path.join(out.dir.path, 'inner', 'a.txt'), 'utf8'), 'alpha\n');
});

test("a Directory literal whose name leaves the step's scratch ('..') fails the step with a clear error and publishes nothing", async () => {
  const r = await runner(SIM, dirTool('..'), filesJob);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Directory literal's entry is named "\.\."; give each entry a basename without '\/' or '\.\.'/);
  assert.equal(r.stdout, '');
  assert.equal(fs.existsSync(r.outdir), false, 'nothing is written into --outdir');
});

const envTool = write(
  'env-tool.cwl',
  `class: CommandLineTool
cwlVersion: v1.2
requirements:
  EnvVarRequirement:
    envDef:
      GREETING: from the tool
inputs:
  in: string
outputs:
  out:
    type: File
    outputBinding: {glob: out}
baseCommand: ["/bin/sh", "-c", "echo $GREETING"]
stdout: out
`,
);
const exprJob = write('env-expr.yml', 'in: from the job order\ncwl:requirements:\n  - class: EnvVarRequirement\n    envDef:\n      - {envName: GREETING, envValue: $(inputs.in)}\n');

for (const [name, mode] of [
  ['sim', SIM],
  ['plain', PLAIN],
] as const) {
  test(`cwl:requirements in the job order win over the tool's own requirement of the same class in ${name} mode`, async () => {
    const r = await runner(mode, envTool, exprJob);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { out: { path: string } };
    assert.equal(fs.readFileSync(out.out.path, 'utf8'), 'from the job order\n');
  });
}

test('a requirement sealflow does not support under cwl:requirements exits 33 (unsupported) and names it, before any run starts', async () => {
  const job = write('unknown-req.yml', 'in: x\ncwl:requirements:\n  - class: ExampleQuantumRequirement\n');
  const r = await runner(SIM, envTool, job);
  assert.equal(r.code, 33, r.stderr);
  assert.match(r.stderr, /unsupported: .*unknown-req\.yml: cwl:requirements names ExampleQuantumRequirement, which sealflow does not support; drop it/);
  assert.equal(r.stdout, '');
});

test("a secondaryFiles pattern written in JavaScript is evaluated in the worker's sandbox in sim mode (the master runs none), and finds the other input it names", async () => {
  write('main.txt', 'main\n');
  write('extra.idx', 'index\n');
  const tool = write(
    'js-secondary.cwl',
    `class: CommandLineTool
cwlVersion: v1.2
requirements:
  InlineJavascriptRequirement: {}
inputs:
  main:
    type: File
    secondaryFiles:
      - |
        \${ return [{"class": "File", "location": inputs.extra.location, "basename": self.nameroot + ".idx"}]; }
  extra: File
outputs:
  listing: stdout
baseCommand: [ls]
arguments: [$(inputs.main.dirname)]
stdout: listing
`,
  );
  const job = write('js-secondary.yml', 'main: {class: File, location: main.txt}\nextra: {class: File, location: extra.idx}\n');
  const r = await runner(SIM, tool, job);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { listing: { path: string } };
  assert.deepEqual(fs.readFileSync(out.listing.path, 'utf8').trim().split('\n'), ['main.idx', 'main.txt']);
});

test('a File that outputEval builds inside a record output keeps the basename the tool gave it in sim mode', async () => {
  const tool = write(
    'record-out.cwl',
    `class: CommandLineTool
cwlVersion: v1.2
requirements:
  InlineJavascriptRequirement: {}
inputs: []
baseCommand: [sh, -c, 'echo ref > genome.fa']
outputs:
  refs:
    type:
      type: record
      fields:
        - {name: genome, type: File}
    outputBinding:
      outputEval: '$({"genome": {"class": "File", "path": runtime.outdir + "/genome.fa"}})'
`,
  );
  const r = await runner(SIM, tool, write('empty.yml', '{}\n'));
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { refs: { genome: { basename: string; path: string } } };
  assert.equal(out.refs.genome.basename, 'genome.fa');
  assert.equal(path.basename(out.refs.genome.path), 'genome.fa');
  assert.equal(fs.readFileSync(out.refs.genome.path, 'utf8'), 'ref\n');
});
