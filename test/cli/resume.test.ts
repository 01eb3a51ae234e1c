import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { readJournal } from '../../src/engine/journal.js';
import { journalOf, startCli, waitGone, workdirWith } from './run-helpers.js';
import { gate, holdAt } from '../faults/harness.js';

test('RESUME: a run whose CLI is SIGKILLed midway resumes without re-executing completed steps, to the same output', async () => {
  const { cwd, flow } = workdirWith('chain');
  // Six lines more than the fixture's inputs: 3 + 3 count instances, one at a time.
  fs.appendFileSync(path.join(flow, 'text.txt'), 'l m\nn o p\nq\nr s t u\nv\nw x\n');
  // In this copy, count instances after the second hold at a gate (a file the test creates after the kill): the
  // master is killed with two instances done and the run unfinished, however fast or slow the machine.
  const yaml = fs.readFileSync(path.join(flow, 'flow.yaml'), 'utf8');
  const held = yaml
    .replace("  pause: { type: number, default: 0 }\n", "  pause: { type: number, default: 0 }\n  hold: string\n")
    .replace(
      `command: [sh, -c, 'sleep "$1" && wc -w < "$2"', sh, $(pause), $(part)]`,
      `command: [sh, -c, 'sleep "$1" && mkdir -p "$3.n" && mktemp "$3.n/XXXXXX" >/dev/null && if ls "$3.n" | wc -l | { read n; [ "$n" -gt 2 ]; }; then ${holdAt('"$3"')}; fi; wc -w < "$2"', sh, $(pause), $(part), $(hold)]`,
    )
    .replace('      pause: pause\n', '      pause: pause\n      hold: hold\n');
  assert.ok(held.includes('hold: string') && held.includes('$(hold)') && held.includes('hold: hold'), held);
  fs.writeFileSync(path.join(flow, 'flow.yaml'), held);
  const g = gate(cwd);
  const args = ['run', '--no-encrypt', flow, '--json', '--concurrency', '1', '--input', `hold=${g.path}`];

  const cli = startCli(args, cwd);
  await cli.waitFor((_e, all) => all.filter((x) => x.type === 'step-succeeded' && x.step === 'count').length >= 2);
  cli.child.kill('SIGKILL');
  await cli.exited;
  g.open(); // for the resumed run and the clean one
  const runId = cli.events[0]?.type === 'run-started' ? cli.events[0].runId : '';
  const workers = cli.events.flatMap((e) => (e.type === 'worker-started' ? [e.pid] : []));
  assert.deepEqual(await waitGone(workers), [], 'workers exit when they lose the master');

  const journal = path.join(cwd, '.sealflow', 'runs', runId, 'journal.jsonl');
  const before = readJournal(journal).events;
  assert.ok(!before.some((e) => e.type === 'run-finished'), 'the run was killed before it finished');
  // The kill may or may not have torn a line; make sure recovery from a torn last line is exercised.
  fs.appendFileSync(journal, '{"type":"step-succeeded","step":"count","ind');
  const shown = await runCli(['show', runId], { cwd });
  assert.match(shown.stdout, new RegExp(`run ${runId}\\s+interrupted`));

  const done = new Set(before.flatMap((e) => (e.type === 'step-succeeded' ? [`${e.step}[${e.index}]`] : [])));
  assert.ok(done.has('split[0]') && done.size >= 3, `completed before the kill: ${[...done].join(', ')}`);

  const resumed = await runCli(['run', '--no-encrypt', '--resume', runId, '--json'], { cwd });
  assert.equal(resumed.code, 0, resumed.stderr);

  const after = readJournal(journal);
  assert.equal(after.tornTail, false, 'the torn line was cut off before appending');
  const events = journalOf(cwd, runId);
  const from = events.findIndex((e) => e.type === 'run-resumed');
  const session2 = events.slice(from);
  for (const key of done) {
    assert.ok(!session2.some((e) => e.type === 'step-started' && `${e.step}[${e.index}]` === key), `${key} was executed again`);
    assert.ok(session2.some((e) => e.type === 'step-reused' && `${e.step}[${e.index}]` === key), `${key} was not reported as reused`);
  }
  const rerun = session2.filter((e) => e.type === 'step-started').map((e) => (e.type === 'step-started' ? `${e.step}[${e.index}]` : ''));
  assert.ok(rerun.includes('total[0]'));
  assert.equal(rerun.length, 6 + 1 - (done.size - 1), `only the unfinished instances ran: ${rerun.join(', ')}`);

  // An undisturbed run of the same workflow and inputs gives identical output.
  const clean = await runCli(['run', '--no-encrypt', flow, '--input', `hold=${g.path}`, '--out', 'clean'], { cwd });
  assert.equal(clean.code, 0, clean.stderr);
  const resumedOut = fs.readFileSync(path.join(cwd, '.sealflow', 'runs', runId, 'outputs', 'result.txt'));
  assert.deepEqual(resumedOut, fs.readFileSync(path.join(cwd, 'clean', 'result.txt')));
  assert.equal(resumedOut.toString(), '24\n');
});
