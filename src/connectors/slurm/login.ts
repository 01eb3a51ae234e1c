/**
 * A `slurm` deployment reached through a login node (`login:`,
 * docs/connectors/slurm.md "Through a login node"): the master need not be a
 * submit host nor share a file system with the nodes. One `SshHost` (the ssh
 * connector's transport: one control connection, host key checked, batch
 * mode) carries everything:
 *
 * - the Slurm client commands (`loginRunner`): the same argv as locally,
 *   run on the login node with exactly `PATH` and `SLURM_CONF`, in `/`;
 * - the run's files: a run directory with an opaque name under `workDir`
 *   *on the login node* (which the nodes share), made, uploaded (size and
 *   SHA-256 checked there), swept and removed over ssh (ssh/run-dir.ts), and
 *   the ciphertexts in and out of it (the ssh `Stager`, ssh/stager.ts);
 * - the master's ports (`loginRelay`): each loopback port the program dials
 *   is forwarded to a loopback port on the login node (`ssh -R`, bound to
 *   127.0.0.1 there as always), and a small relay process started over the
 *   same connection listens on the login node's `masterAddress` at the
 *   *same port number* and passes each connection, byte for byte, to that
 *   forward. The login node's sshd needs `AllowTcpForwarding` (remote) and,
 *   for sim, `AllowStreamLocalForwarding` — not `GatewayPorts`; the login
 *   node needs `node` (the relay).
 *
 * Nothing secret travels over ssh: the provisioner and its launch
 * configuration are public, the executor bundle and the ciphertexts are
 * sealed, keys come only through WCPAC, end to end in TLS through the relay.
 */
import { InputError, OperationError } from '../../errors.js';
import type { SshHost } from '../ssh/host.js';
import { compileSshOptions, type CompiledSshOptions } from '../ssh/options.js';
import type { Forward } from '../ssh/forward.js';
import { shScript } from '../ssh/quote.js';
import type { RemoteProcess } from '../ssh/spawn.js';
import type { CommandRunner } from './runner.js';

/** The ssh options `login:` may carry (the ssh connector's, less what the slurm deployment decides: where files go, and one host). */
export const LOGIN_KEYS = ['host', 'port', 'user', 'identityFile', 'configFile', 'knownHosts', 'acceptNewHostKey', 'nodePath', 'connectTimeout', 'aliveInterval', 'aliveCountMax', 'controlPersist'] as const;

/** Validates `login:` into the ssh connector's compiled options; run directories go under `workDir` on the login node. */
export function compileLogin(deployment: string, raw: unknown, workDir: string): CompiledSshOptions {
  const bad = (msg: string) => new InputError(`deployment "${deployment}" (slurm): login ${msg}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw bad(`must be a map of the login node's ssh options (${LOGIN_KEYS.join(', ')}), e.g. login: { host: login.cluster.example, user: you }, not ${JSON.stringify(raw)}.`);
  }
  for (const k of Object.keys(raw)) {
    if (k === 'baseDir') throw bad(`takes no baseDir: the run's files go to the deployment's workDir on the login node.`);
    if (k === 'hosts') throw bad(`names one host ("host"), not a list.`);
    if (k === 'password' || k === 'passphrase') throw bad(`takes no ${k}: sealflow never uses passwords for SSH; use identityFile or a key in the SSH agent.`);
    if (!(LOGIN_KEYS as readonly string[]).includes(k)) throw bad(`option "${k}" is unknown (known: ${LOGIN_KEYS.join(', ')}).`);
  }
  try {
    return compileSshOptions(deployment, { ...(raw as Record<string, unknown>), baseDir: workDir });
  } catch (e) {
    // As "login: …" so the start-up check points at the login key (src/engine/config/slurm-deployment.ts).
    if (e instanceof InputError) throw bad(`${e.message.replace(/^deployment "[^"]*": ssh /, '').replace(/; or "hosts" for several\)/, ')')}.`.replace(/\.\.$/, '.'));
    throw e;
  }
}

/** Runs Slurm's client commands on the login node over its control connection: exactly PATH and SLURM_CONF, in /. */
export function loginRunner(host: SshHost, slurmConf: string | undefined): CommandRunner {
  const env = ['PATH=/usr/local/bin:/usr/bin:/bin', ...(slurmConf !== undefined ? [`SLURM_CONF=${slurmConf}`] : [])];
  return async (argv, o = {}) => {
    try {
      const r = await host.run(shScript('cd / && exec env -i "$@"', [...env, ...argv]), Buffer.from(o.stdin ?? ''));
      const code = r.code;
      return { code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
    } catch (e) {
      // The connection failed (an SshError naming the deployment and host): as a command that could not run.
      return { code: null, stdout: '', stderr: e instanceof Error ? e.message : String(e) };
    }
  };
}

/** Listens on ADDRESS at each LISTEN port and passes every connection to 127.0.0.1:TARGET (args: address, listen:target…). */
const RELAY = `const net=require('net');const [a,...ps]=process.argv.slice(1);let n=0;
for(const p of ps){const [l,t]=p.split(':').map(Number);
const s=net.createServer({allowHalfOpen:true},(c)=>{const o=net.connect({host:'127.0.0.1',port:t,allowHalfOpen:true});
const d=()=>{c.destroy();o.destroy()};c.on('error',d);o.on('error',d);c.pipe(o);o.pipe(c)});
s.on('error',(e)=>{process.stderr.write('cannot listen on '+a+':'+l+' ('+(e.code||e.message)+')\\n');process.exit(2)});
s.listen(l,a,()=>{if(++n===ps.length)process.stdout.write('sealflow-relay-ready\\n')})}`;

export interface LoginRelay {
  close(): Promise<void>;
}

/**
 * The master's loopback `ports` reachable at `address:<same port>` on the
 * login node, for the nodes. Fails (one line naming the deployment and
 * host) when a forward or the relay cannot be set up; `onLost` hears when
 * the relay ends before `close` (the connection to the login node was lost).
 */
export async function loginRelay(host: SshHost, address: string, ports: readonly number[], onLost: (why: string) => void = () => undefined): Promise<LoginRelay> {
  const forwards: Forward[] = [];
  let relay: RemoteProcess | undefined;
  let closing = false;
  const close = async () => {
    closing = true;
    await relay?.kill().catch(() => undefined);
    for (const f of forwards) await f.cancel().catch(() => undefined);
  };
  try {
    for (const p of ports) forwards.push(await host.forwardRemoteToLocal({ port: 0 }, { host: '127.0.0.1', port: p }));
    if (ports.length === 0) return { close };
    const r = host.spawn([host.options.nodePath, '-e', RELAY, address, ...ports.map((p, i) => `${p}:${forwards[i]!.port}`)], { cwd: '/' });
    relay = r;
    let err = '';
    r.stderr.on('data', (b: Buffer) => (err += b.toString('utf8').slice(0, 2000)));
    const ready = new Promise<void>((resolve, reject) => {
      let out = '';
      r.stdout.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        if (out.includes('sealflow-relay-ready\n')) resolve();
      });
      void r.exited.then((x) => reject(host.remoteError(`the relay of the master's ports on ${address} ended before it listened (exit ${x.code ?? x.signal ?? 'session lost'}): ${err.trim().split('\n').slice(-1)[0] ?? ''} — give as masterAddress an address of the login node that the nodes dial, and check nodePath (the relay runs on node there)`)));
    });
    await ready;
    // After it listened, a relay that ends is a lost connection: the run notices its workers' sessions end.
    r.stdout.resume();
    void r.exited.then((x) => closing || onLost(`the relay of the master's ports on ${address} ended: ${x.code !== null ? `exit ${x.code}` : x.signal ?? 'session lost'}`));
    return { close };
  } catch (e) {
    await close();
    throw e instanceof Error ? e : new OperationError(String(e));
  }
}
