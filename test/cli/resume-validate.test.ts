/**
 * `sealflow run --resume` checks the workflow, the run configuration and the
 * inputs exactly as a fresh run does, refuses another workflow, and every run
 * checks everything before it starts a worker (issue 11 §5, §9).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { journalOf, workdirWith } from './run-helpers.js';

/** A chain fixture in its own directory, with its own SEALFLOW_HOME. */
function chainWorkdir(): { cwd: string; flow: string; env: NodeJS.ProcessEnv } {
  const w = workdirWith('chain');
  return { ...w, env: { SEALFLOW_HOME: path.join(w.cwd, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' } };
}

/** Runs the chain fixture to success on the plain path; returns its run id. */
async function succeededRun(cwd: string, flow: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runCli(['run', '--no-encrypt', flow, '--json', '--quiet'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  const id = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { runId?: string }).runId ?? '';
  assert.ok(id, r.stdout);
  return id;
}

/** The bytes of a run's journal, receipt, outputs.json and result file. */
function snapshot(cwd: string, id: string): Record<string, string> {
  const run = path.join(cwd, '.sealflow', 'runs', id);
  const files = ['journal.jsonl', 'outputs/receipt.json', 'outputs/outputs.json', 'outputs/result.txt'];
  return Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(run, f), 'utf8')]));
}

function edit(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} has no ${JSON.stringify(from)}`);
  fs.writeFileSync(file, text.replace(from, to));
}

const SORTER = `name: sorter
inputs:
  text: file
  order: string
outputs:
  sorted: { type: file, from: sort/out }
steps:
  count:
    command: [wc, -l, $(text)]
    stdout: n.txt
    in: { text: text }
    out: { n: { type: file, glob: n.txt } }
  sort:
    command: [sort, $(order), $(text)]
    stdout: sorted.txt
    in: { text: text, order: order }
    out: { out: { type: file, glob: sorted.txt } }
`;

describe('sealflow run --resume validates like a fresh run', () => {
  test('resuming a run with another workflow exits 2, says what differs, and leaves the journal, receipt and outputs untouched', async () => {
    const { cwd, flow, env } = chainWorkdir();
    const id = await succeededRun(cwd, flow, env);
    const before = snapshot(cwd, id);

    fs.writeFileSync(path.join(cwd, 'sorter.yaml'), SORTER);
    fs.writeFileSync(path.join(cwd, 'words.txt'), 'b\na\n');
    const other = await runCli(['run', '--no-encrypt', 'sorter.yaml', '--resume', id, '--input', 'text=words.txt', '--input', 'order=-r'], { cwd, env });
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, new RegExp(`run ${id} was workflow 'chain' \\(steps split, count, total\\); sorter\\.yaml is 'sorter' \\(steps count, sort\\): its name was 'chain', now 'sorter'; steps split, total are gone; step sort is new`));
    assert.match(other.stderr, /resume only runs the same workflow .*; start a new run instead: sealflow run sorter\.yaml/i);
    assert.deepEqual(snapshot(cwd, id), before, 'nothing of the run changed');

    // The same name with a step whose output ports changed is another workflow too.
    edit(path.join(flow, 'flow.yaml'), 'n: { type: number, glob: n.txt }', 'words: { type: number, glob: n.txt }');
    edit(path.join(flow, 'flow.yaml'), 'ns: count/n', 'ns: count/words');
    const ports = await runCli(['run', '--no-encrypt', '--resume', id], { cwd, env });
    assert.equal(ports.code, 2, ports.stderr);
    assert.match(ports.stderr, /step count's outputs were n: number, now words: number/);
    assert.deepEqual(snapshot(cwd, id), before, 'nothing of the run changed');
    const runs = await runCli(['runs'], { cwd, env });
    assert.match(runs.stdout, new RegExp(`${id}\\s+succeeded\\s+chain\\s`), 'runs still shows the workflow the run ran');
  });

  test('an edited workflow with a new required input: resumed without it, the fresh-run error and exit 2 with no step run; with it, only the changed step runs', async () => {
    const { cwd, flow, env } = chainWorkdir();
    const id = await succeededRun(cwd, flow, env);
    const before = snapshot(cwd, id);
    const file = path.join(flow, 'flow.yaml');
    edit(file, '  pause: { type: number, default: 0 }\n', '  pause: { type: number, default: 0 }\n  label: string\n');
    edit(file, `'echo "$@" | tr`, `'shift; echo "$@" | tr`);
    edit(file, 'sh, $(ns)]', 'sh, $(label), $(ns)]');
    edit(file, '      ns: count/n\n', '      ns: count/n\n      label: label\n');

    const fresh = await runCli(['run', '--no-encrypt', flow], { cwd, env });
    assert.equal(fresh.code, 2, fresh.stderr);
    assert.match(fresh.stderr, /workflow input "label".*the input is required \(type string\) but has no value/);
    const resumed = await runCli(['run', '--no-encrypt', '--resume', id], { cwd, env });
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.equal(resumed.stderr, fresh.stderr, 'the same error as a fresh run');
    assert.deepEqual(snapshot(cwd, id), before, 'no step ran and nothing was written');

    const given = await runCli(['run', '--no-encrypt', '--resume', id, '--input', 'label=words', '--json', '--quiet'], { cwd, env });
    assert.equal(given.code, 0, given.stderr);
    const events = journalOf(cwd, id);
    const session = events.slice(events.findIndex((e) => e.type === 'run-resumed'));
    const started = session.flatMap((e) => (e.type === 'step-started' ? [`${e.step}[${e.index}]`] : []));
    const reused = session.flatMap((e) => (e.type === 'step-reused' ? [`${e.step}[${e.index}]`] : []));
    assert.deepEqual(started, ['total[0]'], 'only the step whose command and inputs changed ran again');
    assert.deepEqual(reused.sort(), ['count[0]', 'count[1]', 'count[2]', 'split[0]']);
    assert.equal(fs.readFileSync(path.join(cwd, '.sealflow', 'runs', id, 'outputs', 'result.txt'), 'utf8'), '11\n');
  });

  test('a resumed run that fails leaves the previous receipt, outputs.json and outputs in place', async () => {
    const { cwd, flow, env } = chainWorkdir();
    const id = await succeededRun(cwd, flow, env);
    const before = snapshot(cwd, id);
    edit(path.join(flow, 'flow.yaml'), `'echo "$@" | tr`, `'exit 3; echo "$@" | tr`);
    const failed = await runCli(['run', '--no-encrypt', '--resume', id], { cwd, env });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /step total failed \(exit status 3\)/);
    const after = snapshot(cwd, id);
    for (const f of ['outputs/receipt.json', 'outputs/outputs.json', 'outputs/result.txt']) assert.equal(after[f], before[f], `${f} was replaced`);
    assert.deepEqual(fs.readdirSync(path.join(cwd, '.sealflow', 'runs', id, 'outputs')).sort(), ['outputs.json', 'receipt.json', 'result.txt'], 'no staging left behind');
  });
});

describe('every run checks everything before it starts a worker', () => {
  const FLOW = "name: twice\ninputs:\n  text: file\noutputs:\n  out: { type: file, from: copy/out }\nsteps:\n  copy:\n    command: [sh, -c, 'cat \"$1\" \"$1\"', sh, $(text)]\n    stdout: out.txt\n    in: { text: text }\n    out: { out: { type: file, glob: out.txt } }\n";

  test('a missing input file on a fresh encrypted sim run exits 2 with that one error, before any worker, key or run directory exists', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-check-'));
    fs.writeFileSync(path.join(root, 'flow.yaml'), FLOW);
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    const home = path.join(root, 'home');
    const r = await runCli(['run', 'flow.yaml', '--platform', 'sim', '--input', 'text=nothere.txt', '--state-dir', 'state'], {
      cwd: root,
      env: { SEALFLOW_HOME: home, SEALFLOW_MASTER_PASSPHRASE: '', TMPDIR: tmp },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, "sealflow: --input text=nothere.txt: input 'text': file nothere.txt does not exist; check the path (relative to the current directory).\n", 'the one useful error, alone');
    assert.equal(fs.existsSync(path.join(root, 'state')), false, 'no run directory');
    assert.equal(fs.existsSync(home), false, 'no master keys or owner identity were created');
    assert.deepEqual(fs.readdirSync(tmp), [], 'no worker or attested session left anything');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('resuming an encrypted sim run whose input file is gone exits 2 before any worker starts: no line is added to its journal', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-check-'));
    fs.writeFileSync(path.join(root, 'flow.yaml'), FLOW.replace("'cat \"$1\" \"$1\"'", "'exit 4'"));
    fs.writeFileSync(path.join(root, 'text.txt'), 'words\n');
    const env = { SEALFLOW_HOME: path.join(root, 'home'), SEALFLOW_MASTER_PASSPHRASE: '' };
    const first = await runCli(['run', 'flow.yaml', '--platform', 'sim', '--input', 'text=text.txt', '--state-dir', 'state', '--json', '--quiet'], { cwd: root, env });
    assert.equal(first.code, 1, first.stderr);
    const id = (JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '{}') as { runId?: string }).runId ?? '';
    const journal = path.join(root, 'state', 'runs', id, 'journal.jsonl');
    const before = fs.readFileSync(journal, 'utf8');
    fs.rmSync(path.join(root, 'text.txt'));
    const again = await runCli(['run', '--resume', id, '--state-dir', 'state'], { cwd: root, env });
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, new RegExp(`--resume ${id}: recorded input text: input 'text': file \\S*text\\.txt does not exist`));
    assert.doesNotMatch(again.stderr, /worker/);
    assert.equal(fs.readFileSync(journal, 'utf8'), before, 'no run-resumed, worker or step event');
    fs.rmSync(root, { recursive: true, force: true });
  });
});
