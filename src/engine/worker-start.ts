/**
 * One path for starting workers (DESIGN.md, "The path of one run", step 3):
 * every worker — plain `none`, encrypted `none`, `sim`, later the hardware
 * platforms — is launched by its deployment's connector running the command
 * its platform gives. What differs is where its channel comes from: a plain
 * worker talks over the connector's IPC pipe and says `ready` there; any
 * other worker is expected by the run's master, provisioned through WCPAC
 * and connects to the master's executor port (src/master/session.ts).
 */
import { fileURLToPath } from 'node:url';
import type { Connector, LaunchReport, LaunchRequest, WorkerHandle } from '../connectors/connector.js';
import type { ReadyMsg } from '../protocol/execution.js';
import type { TeePlatform } from '../tee/platform.js';
import type { MasterSession } from '../master/master-session.js';
import { attestedDeployment } from '../master/start.js';
import type { EngineDeployment } from './workers.js';

const EXECUTOR = fileURLToPath(new URL('../worker/executor/main.js', import.meta.url));

/**
 * The plain executor a local worker runs: the bundled one when the installed
 * `sealflow` runs the bundled CLI (src/cli/bin.ts names it, checked current
 * with the CLI), else the modules. Other connectors run the modules' entry.
 */
function plainExecutor(connector: string): string {
  const bundled = (globalThis as Record<symbol, unknown>)[Symbol.for('sealflow.executor')];
  return connector === 'local' && typeof bundled === 'string' ? bundled : EXECUTOR;
}
const READY_TIMEOUT_MS = 20_000;

/** What every launch of a run shares. */
export interface LaunchContext {
  readonly runId: string;
  readonly connector: Connector;
  readonly platform: TeePlatform;
  readonly env: Readonly<Record<string, string>>;
  /** Where local workers' directories are made. */
  readonly localBase: string;
}

/**
 * A plain worker (platform `none`, `--no-encrypt`): the executor, launched
 * with an IPC channel; resolves when it says `ready` there, else kills it
 * and rejects naming the worker.
 */
export async function startPlainWorker(c: LaunchContext, d: Pick<EngineDeployment, 'id' | 'options'>, slot: string, entry = plainExecutor(c.connector.name)): Promise<WorkerHandle> {
  const req: LaunchRequest = { runId: c.runId, slot, deployment: d.id, options: d.options, platform: c.platform, program: { entry, files: {}, args: () => [slot] }, env: c.env, localBase: c.localBase, ipc: true };
  const w = await c.connector.launch(req);
  const channel = w.ipc;
  if (!channel) {
    w.kill();
    throw new Error(`worker ${slot} (${c.connector.name}): the connector gave no IPC channel`);
  }
  return new Promise<WorkerHandle>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(`did not report ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      w.kill();
      reject(new Error(`worker ${slot} (${c.connector.name}, platform ${c.platform.name}) ${why}`));
    };
    void w.exited.then((x) => fail(`exited before it was ready (code ${x.code}, signal ${x.signal})`));
    channel.onMessage((m) => {
      if (done || m.type !== 'ready') return;
      done = true;
      clearTimeout(timer);
      const ready = m as ReadyMsg;
      resolve({ id: slot, host: ready.host, pid: ready.pid, channel, exited: w.exited, kill: () => w.kill(), reap: (g) => w.reap(g), wipe: (dirs) => w.wipe(dirs) });
    });
  });
}

/**
 * An attested (or encrypted `none`) worker: expected by the master, launched
 * by the connector as the master's session says, ready once attested and
 * connected to the executor port.
 */
export async function startAttestedWorkers(
  master: MasterSession,
  c: Omit<LaunchContext, 'platform' | 'localBase'> & { readonly report?: (slot: string, r: LaunchReport) => void },
  d: EngineDeployment,
  slots: readonly string[],
): Promise<WorkerHandle[]> {
  const ad = attestedDeployment(d);
  const session = await master.attested();
  await session.starting(ad);
  return startAll(slots, async (slot) => {
    const ticket = session.expect(ad, slot);
    const spec = session.launchSpec(ad, slot, ticket);
    const report = c.report;
    // The launch ticket rides in the environment every connector passes on (§3a): no connector knows of it.
    const launched = await c.connector.launch({
      runId: c.runId, slot, deployment: d.id, options: d.options, ...spec, env: { ...c.env, ...spec.env },
      ...(d.resources !== undefined ? { resources: d.resources } : {}),
      ...(report !== undefined ? { report: (r: LaunchReport) => report(slot, r) } : {}),
    }).catch((e: unknown) => {
      session.abandon(slot);
      // A connector that sees the job end before it reports the launch (Slurm's poll) says only that it ended:
      // the key broker knows why when it refused the worker.
      const refused = session.refusalOf(slot);
      throw refused !== undefined ? new Error(`worker ${slot} (deployment ${d.id}): the key broker refused it (${refused}); ${e instanceof Error ? e.message : String(e)}`) : e;
    });
    return session.waitReady(ad, slot, launched);
  });
}

/** Starts every slot at once; if one fails, stops those that started and rejects with the first failure. */
export async function startAll(slots: readonly string[], one: (slot: string) => Promise<WorkerHandle>): Promise<WorkerHandle[]> {
  const results = await Promise.allSettled(slots.map(one));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') r.value.kill();
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<WorkerHandle>).value);
}
