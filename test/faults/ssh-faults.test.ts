/**
 * Remote fault loops on `ssh` workers (docs/connectors/ssh.md, "Faults"):
 * the fault chain on attested sim workers on namespace hosts (own sshd, PID
 * and mount namespaces; the master's state and SEALFLOW_HOME hidden), one
 * worker per deployment, its `mid` step held at a gate while a fault hits
 * it: the remote provisioner SIGKILLed (the executor runs inside its
 * process), the worker's SSH session (its local ssh client) killed, the
 * control master killed, the host's link cut and brought back (while mid
 * holds, and as mid's input ciphertext is being uploaded), the whole
 * host taken away. Each time the run notices (measured: from the fault to
 * the journal's worker-lost), re-provisions through the same connector (the
 * same host, or the deployment's other host when its own is gone),
 * re-attests, re-runs `mid`, and the owner's decrypted outputs equal an
 * undisturbed run's byte for byte; every recorded output matches its bytes.
 * Each loop runs SEALFLOW_FAULT_ITERATIONS times (default 2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import { executeRun, runMaster } from '../../src/engine/run.js';
import { newRunId } from '../../src/engine/run-dir.js';
import { WorkerPool, type EngineDeployment } from '../../src/engine/workers.js';
import { heartbeatSettings } from '../../src/protocol/heartbeat.js';
import type { Workflow } from '../../src/workflow/model.js';
import { events } from '../engine/build.js';
import { hostsMissing, startHosts, type Host, type Hosts } from '../helpers/hosts.js';
import { isZombie } from '../helpers/processes.js';
import { simPolicies } from '../helpers/sim-master.js';
import { PATIENCE_MS, sleep } from '../helpers/wait.js';
import { brokerDecisions, checkJournal, cleanChain, ownerDecrypted, type ChainOutputs } from './chain.js';
import { FAULT_ITERATIONS, faultLoop } from './loop.js';

const skip = hostsMissing();
/** When the run must have noticed a fault at the latest: the heartbeat deadline (its watchdog fires within 1.25 × the timeout), plus 3 s for a busy machine. */
const NOTICE_BOUND_MS = 1.25 * heartbeatSettings().timeoutMs + 3000;

/** Local processes whose argv[0] is `ssh` and whose command line contains every needle. */
function sshClients(...needles: string[]): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'ssh' && needles.every((n) => argv.some((a) => a.includes(n))) && !isZombie(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function eventually(what: string, pred: () => Promise<boolean> | boolean, everyMs = 25): Promise<void> {
  const end = Date.now() + PATIENCE_MS;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`still not true after ${PATIENCE_MS} ms: ${what}`);
    await sleep(everyMs);
  }
}

type Fault = (victim: Host) => Promise<void> | void;
/** When the fault hits, once mid's first attempt is assigned: resolves at that moment. */
type During = (victim: Host) => Promise<void>;

/** Mid-step: mid's command has written its first lines and waits at its gate, on the host. */
const held: During = (v) => eventually(`mid holds at its gate on ${v.name}`, async () => (await v.exec(`ps -eo args= | grep -c '[w]hile \\[ ! -e' || true`)).trim() !== '0');

/**
 * Mid-transfer: at once when mid is assigned, so the cut comes as its input
 * ciphertext's upload to the host begins (the master copies it before the
 * assignment reaches the worker); `disturbedRun` checks that the upload was
 * under way, stalled by the cut.
 */
const uploading: During = async () => undefined;

describe('remote fault loops: ssh workers', { skip }, () => {
  let hosts: Hosts;
  let state: string;
  let home: string;
  let gates: string;
  let policy: string;
  let wf: Workflow;
  let clean: ChainOutputs;
  const saved = { home: process.env['SEALFLOW_HOME'], tmp: process.env['TMPDIR'], pass: process.env['SEALFLOW_MASTER_PASSPHRASE'] };

  before(async () => {
    ({ wf, clean } = await cleanChain());
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-faults-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-faults-home-'));
    // Gates (test control only) live where the hosts can see them.
    gates = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-ssh-gates-'));
    // Host 0 takes the faults its deployment survives on the same host; host 1 is the spare of the
    // host-loss loop, whose victims (one per iteration: a killed host stays gone) are hosts 3…;
    // host 2 is taken away for good by the cap test.
    hosts = await startHosts(3 + FAULT_ITERATIONS, { hide: [state, home] });
    process.env['SEALFLOW_HOME'] = home;
    process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';
    process.env['TMPDIR'] = path.join(state, 'tmp');
    fs.mkdirSync(process.env['TMPDIR']);
    policy = (await simPolicies(home, state)).remoteSim;
  });
  after(async () => {
    for (const [k, v] of [['SEALFLOW_HOME', saved.home], ['TMPDIR', saved.tmp], ['SEALFLOW_MASTER_PASSPHRASE', saved.pass]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await hosts?.stopAll();
    for (const d of [state, home, gates]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const deployment = (on: readonly Host[], extra: Record<string, unknown> = {}): EngineDeployment => ({
    id: 'remote',
    connector: 'ssh',
    platform: 'sim',
    workers: 1,
    options: { ...(on.length === 1 ? { host: on[0]!.address } : { hosts: on.map((h) => h.address) }), user: 'root', identityFile: hosts.identityFile, knownHosts: hosts.knownHostsFile, policy, ...extra },
  });

  /**
   * One disturbed run: `mid` is held at a gate on its host; once its command
   * runs there, `fault` hits the host it runs on; `afterNotice` runs once the
   * journal says the worker was lost; the gate opens when mid's second attempt
   * starts. Checks the outcome and returns how long the run took to notice.
   */
  async function disturbedRun(on: readonly Host[], fault: Fault, afterNotice?: (victim: Host) => void, during: During = held): Promise<{ noticeMs: number }> {
    const hold = path.join(gates, `gate-${randomBytes(6).toString('hex')}`);
    const runId = newRunId();
    const stateDir = path.join(state, runId);
    const d = deployment(on);
    const master = runMaster(wf, runId, stateDir);
    const pool = await WorkerPool.start(master, os.tmpdir(), [d]);
    let faultAt = 0;
    let noticeMs = -1;
    let victim: Host | undefined;
    let faultError: unknown;
    let transferCut = false;
    const onEvent = (e: RunEvent) => {
      if (e.type === 'step-started' && e.step === 'mid' && e.attempt === 1) {
        victim = on.find((h) => e.host.includes(h.address) || e.host === h.name);
        const v = victim;
        if (!v) {
          faultError = new Error(`mid started on ${e.host}, none of ${on.map((h) => h.address).join(', ')}`);
          fs.writeFileSync(hold, '');
          return;
        }
        void during(v)
          .then(async () => {
            faultAt = Date.now();
            await fault(v);
            if (during === uploading) {
              await eventually(`mid's input upload to ${v.name} is under way, stalled by the cut`, () => sshClients(v.address, 'sha256sum', '.part').length > 0, 2);
              transferCut = true;
            }
          })
          .catch((err: unknown) => {
            faultError = err;
            fs.writeFileSync(hold, '');
          });
      }
      if (e.type === 'worker-lost' && noticeMs < 0 && faultAt > 0) {
        noticeMs = Date.now() - faultAt;
        if (victim) afterNotice?.(victim);
      }
      if (e.type === 'step-started' && e.step === 'mid' && e.attempt > 1) fs.writeFileSync(hold, '');
    };
    const outcome = await executeRun({
      workflow: wf,
      inputs: { hold },
      stateDir,
      deployments: [d],
      deploymentFor: () => d.id,
      concurrency: 1,
      keepGoing: false,
      runId,
      workers: Promise.resolve(pool),
      master,
      onEvent,
    });
    if (faultError) throw faultError;
    assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome.failures));
    if (during === uploading) assert.ok(transferCut, 'the cut came while the input was being uploaded');
    const identity = path.join(home, 'owner-identity.txt');
    assert.ok((await ownerDecrypted((outcome.outputs['numbers'] as { path: string }).path, identity)).equals(clean.numbers), 'numbers byte-identical to an undisturbed run');
    assert.ok((await ownerDecrypted((outcome.outputs['summary'] as { path: string }).path, identity)).equals(clean.summary), 'summary byte-identical to an undisturbed run');
    const ev = events(outcome.runDir);
    checkJournal(ev, 'mid');
    const dec = brokerDecisions(ev);
    const attested = dec.filter((x) => x.type === 'attestation' && x.decision === 'accepted').map((x) => (x.type === 'attestation' ? x.slot : ''));
    // The replacement is remote-2, or a later slot when a start failed and was tried again (e.g. the
    // connection died while the replacement was being started on it: the heartbeat noticed first).
    assert.equal(attested.length, 2, `the lost worker was re-provisioned and its replacement attested: ${attested.join(', ')}`);
    assert.equal(attested[0], 'remote-1');
    const replacement = attested[1]!;
    assert.match(replacement, /^remote-[2-9]$/);
    assert.ok(dec.some((x) => x.type === 'worker-revoked' && x.worker === 'remote-1'), 'the lost worker was revoked');
    assert.ok(dec.some((x) => x.type === 'key-release' && x.decision === 'released' && x.worker === replacement && x.step.startsWith('mid[0]#2')), "the re-run's keys went to the replacement");
    assert.ok(noticeMs >= 0, 'the loss was journalled');
    assert.ok(noticeMs <= NOTICE_BOUND_MS, `noticed in ${noticeMs} ms, within the heartbeat deadline (${NOTICE_BOUND_MS} ms)`);
    return { noticeMs };
  }

  /** SIGKILL to the one `node` process on the host running the provisioner (not its session's sh wrapper). */
  const killProvisioner = async (h: Host) => {
    const out = await h.exec(`ps -eo pid=,args= | awk '$2 ~ /(^|\\/)node$/ && /[p]rovisioner\\.mjs/ { print $1 }'`);
    const pids = out.trim().split(/\s+/).filter(Boolean);
    assert.equal(pids.length, 1, `one node process running provisioner.mjs on ${h.name}: ${out}`);
    await h.exec(`kill -KILL ${pids[0]}`);
  };

  const localKill = (what: string, ...needles: string[]) => (h: Host) => {
    const pids = sshClients(h.address, ...needles);
    assert.equal(pids.length, 1, `one local ${what} for ${h.name}: ${pids.join(', ')}`);
    process.kill(pids[0]!, 'SIGKILL');
  };

  test(`SIGKILL of the remote provisioner (its process also runs the executor) mid-step: noticed, re-provisioned on the same host, re-attested, re-run; outputs byte-identical (${FAULT_ITERATIONS} iterations)`, async () => {
    await faultLoop('ssh provisioner SIGKILL', () => disturbedRun([hosts.hosts[0]!], killProvisioner));
  });

  test(`killing the worker's SSH session (its ssh client) mid-step: the remote process group goes, the worker is re-provisioned on the same host; outputs byte-identical (${FAULT_ITERATIONS} iterations)`, async () => {
    await faultLoop('ssh session kill', () => disturbedRun([hosts.hosts[0]!], localKill('ssh session', 'provisioner.mjs')));
  });

  test(`killing the host's SSH ControlMaster mid-step: every session over it ends, the connector reconnects and re-provisions; outputs byte-identical (${FAULT_ITERATIONS} iterations)`, async () => {
    await faultLoop('ssh ControlMaster kill', () => disturbedRun([hosts.hosts[0]!], localKill('control master', 'ControlMaster=yes')));
  });

  test(`cutting the host's link — in odd iterations while mid holds, in even ones as mid's input is being uploaded to the host — and bringing it back once the loss is noticed: a cut copy is the worker's loss, not the step's failure; re-provisioned on the same host when it is back; outputs byte-identical (${FAULT_ITERATIONS} iterations)`, async () => {
    await faultLoop('ssh link cut (mid-step / mid-transfer)', (i) =>
      disturbedRun(
        [hosts.hosts[0]!],
        (h) => h.linkDown(),
        (h) => h.linkUp(),
        i % 2 === 0 ? held : uploading,
      ),
    );
  });

  test(`taking the whole host away mid-step: the worker is re-provisioned on the deployment's other host; outputs byte-identical (${FAULT_ITERATIONS} iterations)`, async () => {
    await faultLoop('ssh host loss', (i) => disturbedRun([hosts.hosts[3 + i]!, hosts.hosts[1]!], (h) => h.kill()));
  });

  /** Runs the chain on `d` with mid's first attempt disturbed by `fault` (no gate: mid runs to its end unless stopped); the outcome. */
  async function cappedRun(d: EngineDeployment, fault: Fault, on: Host) {
    const runId = newRunId();
    const stateDir = path.join(state, runId);
    const master = runMaster(wf, runId, stateDir);
    const pool = await WorkerPool.start(master, os.tmpdir(), [d]);
    const hold = path.join(gates, `gate-${randomBytes(6).toString('hex')}`);
    let faultError: unknown;
    const outcome = await executeRun({
      workflow: wf, inputs: { hold }, stateDir, deployments: [d], deploymentFor: () => d.id, concurrency: 1, keepGoing: false, runId, workers: Promise.resolve(pool), master,
      onEvent: (e) => {
        if (e.type === 'step-started' && e.step === 'mid' && e.attempt === 1) {
          void eventually(`mid holds at its gate on ${on.name}`, async () => (await on.exec(`ps -eo args= | grep -c '[w]hile \\[ ! -e' || true`)).trim() !== '0')
            .then(() => fault(on))
            .catch((err: unknown) => void (faultError = err))
            .finally(() => fs.writeFileSync(hold, ''));
        }
      },
    });
    if (faultError) throw faultError;
    return outcome;
  }

  test('past maxReprovisions the run fails with one line naming the deployment, the host and what to do', async () => {
    const h = hosts.hosts[0]!;
    const outcome = await cappedRun(deployment([h], { maxReprovisions: 0 }), killProvisioner, h);
    assert.equal(outcome.state, 'failed');
    const why = JSON.stringify(outcome.failures);
    assert.match(why, /"step mid: deployment remote: worker remote-1 on host [^ ]+ was lost \(.*\) and the deployment has already been re-provisioned 0 times, its cap \(maxReprovisions: 0\); check host .*, then run again with --resume, or raise maxReprovisions for deployment remote in sealflow\.yaml/);
    assert.ok(why.includes(`on host ${h.name} `) && why.includes(`check host ${h.name},`), why);
  });

  test('a host that stays away is tried again up to maxReprovisions, then the run fails with one line naming the deployment and the host', async () => {
    const h = hosts.hosts[2]!;
    const outcome = await cappedRun(deployment([h], { maxReprovisions: 2, connectTimeout: 1 }), (v) => v.kill(), h);
    assert.equal(outcome.state, 'failed');
    const why = JSON.stringify(outcome.failures);
    assert.match(why, /"step mid: deployment remote: could not re-provision a worker for the one lost on host [^ ]+ within its cap \(maxReprovisions: 2\), last: .*deployment \\"remote\\".*; check the deployment's hosts, then run again with --resume, or raise maxReprovisions/);
    assert.ok(why.includes(`lost on host ${h.name} `) && why.includes(`host ${h.address}:22 is unreachable`), why);
  });
});
