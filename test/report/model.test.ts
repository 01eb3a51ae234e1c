/** docs/report.md, "What the report shows": the model built from real journals (the fixtures), old ones included. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildModel, evidenceClass, fileLabeler } from '../../src/report/model.js';
import { eventsOf, CANARY } from './fixtures.js';

describe('report model', () => {
  test('a run with a killed worker and a resume has one lane per worker and session, a lost attempt, an interrupted one, and reused instances', () => {
    const m = buildModel('x', eventsOf('killed'));
    assert.equal(m.sessions.length, 2);
    assert.deepEqual(m.lanes.map((l) => l.key).sort(), ['s1:enclaves-1', 's1:enclaves-2', 's2:enclaves-1', 's2:enclaves-2']);
    const slow = m.attempts.filter((a) => a.step === 'slow').map((a) => `${a.session}#${a.attempt}:${a.state}`);
    assert.deepEqual(slow, ['1#1:lost', '1#2:interrupted', '2#1:succeeded']);
    assert.ok(m.lanes.some((l) => l.lostAt !== undefined && l.session === 1), 'the lost worker is marked on its lane');
    assert.deepEqual(m.reused.map((r) => `${r.step}[${r.index}]`), ['upper[0]', 'count[0]', 'count[1]', 'count[2]']);
    assert.equal(m.run.state, 'succeeded');
    assert.match(m.run.id, /^\d{8}-\d{6}-[0-9a-f]{6}$/, 'the run id comes from the journal');
  });

  test('a failed step shows a retried attempt and a failed one with their exit status', () => {
    const m = buildModel('x', eventsOf('failed'));
    const fin = m.attempts.filter((a) => a.step === 'final');
    assert.deepEqual(fin.map((a) => [a.attempt, a.state, a.exitStatus]), [[1, 'retried', 3], [2, 'failed', 3]]);
    assert.equal(m.run.state, 'failed');
  });

  test('every sim worker is classed simulated, with its measurement, and never as hardware', () => {
    const m = buildModel('x', eventsOf('ok'));
    assert.equal(m.attestations.length, 2);
    for (const a of m.attestations) {
      assert.equal(a.evidence, 'simulated');
      assert.match(a.measurement ?? '', /^[0-9a-f]{96}$/);
    }
    assert.equal(evidenceClass(undefined, 'none'), 'none');
    assert.equal(evidenceClass({ type: 'attestation', decision: 'accepted', claims: { platform: 'sev-snp', measurement: 'm', debug: false, tcbStatus: 'UpToDate', simulated: false } }, 'cvm'), 'hardware');
  });

  test('key releases name files by label and ciphertext hash, never by the path or name they were journalled under', () => {
    const m = buildModel('x', eventsOf('ok'));
    const labels = m.keyReleases.flatMap((k) => k.files.map((f) => f.label));
    assert.ok(labels.includes('input 1'));
    assert.ok(labels.includes('upper[0].o'));
    assert.ok(labels.every((l) => /^(input \d+|[a-z]+\[\d+\]\.[a-z]+)$/.test(l)), labels.join(', '));
    assert.doesNotMatch(JSON.stringify(m), CANARY);
    assert.equal(fileLabeler(['a'])('/r/steps/zzz/0/o.age', 'h'), 'input 1', 'a step the workflow does not have is no label');
  });

  test('a step output is labelled the same in the layout steps/<step>.<index>/ and in the layout of older runs, steps/<step>/<index>/', () => {
    const label = fileLabeler(['count', 'a']);
    assert.equal(label('/r/steps/count.12/o.age', 'h1'), 'count[12].o');
    assert.equal(label('/r/steps/count/12/o.age', 'h2'), 'count[12].o');
    assert.equal(label('/r/steps/count.x/o.age', 'h3'), 'input 1', 'an index that is not a number is no label');
    assert.equal(label('/r/steps/count.1/sub/o.age', 'h4'), 'input 2', 'a file deeper in the instance directory is no label');
    assert.equal(label('/r/steps/zzz.0/o.age', 'h5'), 'input 3', 'a step the workflow does not have is no label');
    const hostile = `/r/steps/${'count.1'.repeat(50_000)}x/o.age`;
    const t0 = process.cpuUsage();
    assert.equal(label(hostile, 'h6'), 'input 4', 'a long id of dots and digits is no label');
    const used = process.cpuUsage(t0);
    assert.ok(used.user + used.system < 2_000_000, 'and is read in linear time');
  });

  test('bytes in and out come from the ciphertext sizes the master recorded', () => {
    const m = buildModel('x', eventsOf('ok'));
    const count0 = m.attempts.find((a) => a.step === 'count' && a.index === 0);
    const upper = m.attempts.find((a) => a.step === 'upper');
    assert.ok(count0 && upper && upper.bytesOut !== undefined && upper.bytesOut > 0);
    assert.equal(count0.bytesIn, upper.bytesOut);
  });

  test('a journal written before newer fields existed (no shape, no encrypted flag, no tools) still gives a model', () => {
    const old = eventsOf('ok').map((e) => {
      const { shape: _s, encrypted: _e, tools: _t, outputsMac: _m, ...rest } = e as unknown as Record<string, unknown>;
      return rest as unknown as (typeof e);
    });
    const m = buildModel('x', old);
    assert.equal(m.run.encrypted, undefined);
    assert.equal(m.attempts.length, 6);
  });

  test('a connector record naming a worker slot, a job and a node (however the Slurm connector calls it) sets that lane\'s job and node', () => {
    const ev = eventsOf('ok');
    const at = ev.findIndex((e) => e.type === 'worker-started');
    const slurm = { type: 'worker-job', t: ev[at]!.t, slot: 'enclaves-1', deployment: 'hpc', connector: 'slurm', job: 4711, node: 'n2' } as unknown as (typeof ev)[number];
    const m = buildModel('x', [...ev.slice(0, at + 1), slurm, ...ev.slice(at + 1)]);
    const lane = m.lanes.find((l) => l.worker === 'enclaves-1');
    assert.deepEqual([lane?.job, lane?.node, lane?.connector], ['4711', 'n2', 'slurm']);
  });

  test('a Slurm job and node on worker-started become the lane\'s job and node', () => {
    const ev = eventsOf('ok').map((e) => (e.type === 'worker-started' ? ({ ...e, job: '4242', node: 'node-a' } as typeof e) : e));
    const m = buildModel('x', ev);
    assert.ok(m.lanes.every((l) => l.job === '4242' && l.node === 'node-a'));
  });
});

describe('report at scale', () => {
  test('a run of 10,000 steps gives a report under 10 MB (its opening time is a benchmark: bench/report-scale)', async () => {
    const { syntheticJournal } = await import('../../bench/report-scale/synthetic.js');
    const { renderPage } = await import('../../src/report/html.js');
    const m = buildModel('big', syntheticJournal(10_000));
    assert.equal(m.steps.length, 10_000);
    assert.ok(m.lanes.some((l) => l.lostAt !== undefined));
    assert.ok(Buffer.byteLength(renderPage(m)) < 10_000_000);
  });
});

describe('report page', () => {
  test('text from a journal cannot close the data element or become markup', async () => {
    const { renderPage } = await import('../../src/report/html.js');
    const evil = '</script><script>alert(1)</script><!--';
    const ev = eventsOf('failed').map((e) => (e.type === 'step-failed' ? ({ ...e, message: evil } as typeof e) : e));
    const html = renderPage(buildModel('x', ev));
    assert.equal(html.split('</script>').length - 1, 2, 'only the page\'s own two script elements end');
    assert.ok(!html.includes('<script>alert'));
    const data = /<script type="application\/json" id="sealflow-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.ok((JSON.parse(data) as { attempts: { message?: string }[] }).attempts.some((a) => a.message === evil), 'the text itself survives as data');
  });

  test('usage journalled on step-succeeded and step-failed becomes the attempt\'s CPU time, peak memory in bytes and threads used; a journal without it has none', () => {
    assert.ok(buildModel('x', eventsOf('ok')).attempts.every((a) => a.usage === undefined), 'journals written before workers reported usage');
    const ev = eventsOf('failed').map((e) => (e.type === 'step-succeeded' || e.type === 'step-failed' ? ({ ...e, usage: { cpuMs: 1500, maxRssKiB: 2048, threads: 4 } } as typeof e) : e));
    const m = buildModel('x', ev);
    const ended = m.attempts.filter((a) => a.end !== undefined);
    assert.ok(ended.length > 0);
    for (const a of ended) assert.deepEqual(a.usage, { cpuMs: 1500, maxRssBytes: 2048 * 1024, threadsUsed: 4 });
    assert.ok(m.attempts.some((a) => a.state === 'failed' && a.usage !== undefined), 'a failed attempt keeps its usage');
  });

  test('a damaged journal\'s usage values (negative, fractional, huge, strings) are left out, never shown', () => {
    const bad = [{ cpuMs: -5, maxRssKiB: 1.5, threads: 'x' }, { cpuMs: 2 ** 41, maxRssKiB: '10', threads: 1e9 }, 'lots', [1, 2, 3], null];
    for (const usage of bad) {
      const ev = eventsOf('ok').map((e) => (e.type === 'step-succeeded' ? ({ ...e, usage } as unknown as typeof e) : e));
      assert.ok(buildModel('x', ev).attempts.every((a) => a.usage === undefined), JSON.stringify(usage));
    }
    const ev = eventsOf('ok').map((e) => (e.type === 'step-succeeded' ? ({ ...e, usage: { cpuMs: 7, maxRssKiB: -1 } } as unknown as typeof e) : e));
    assert.ok(buildModel('x', ev).attempts.filter((a) => a.end).every((a) => JSON.stringify(a.usage) === '{"cpuMs":7}'), 'the valid field stays, the damaged one goes');
  });
});
