/**
 * Ciphertexts between the master and one host of a run (the `Stager` of
 * src/connectors/connector.ts): uploads into the run directory under random
 * names (size and SHA-256 checked on the host), downloads streamed over the
 * control connection. Only ciphertext is copied; the worker checks every
 * input against the hash the master recorded, and the master every output.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Stager } from '../connector.js';
import { CollectParser, COLLECT_SCRIPT, checkCollectName } from './collect.js';
import { oneLine } from './exec.js';
import type { SshHost } from './host.js';
import { shScript } from './quote.js';
import type { RunDir } from './run-dir.js';

const LIST = 'cd -- "$1" 2>/dev/null || exit 0; find . -type f -print0';
const CAT = '[ -f "$1" ] || exit 3; exec cat -- "$1"';
/** The size of a regular file (following links), or exit 3. */
const SIZE = '[ -f "$1" ] || exit 3; exec wc -c < "$1"';

/** The scratch directory of the host's workers under the master's run scratch directory (`<run>/<id>/<pid>`). */
export function hostScratchDir(workerDir: string, id: string): string {
  return path.posix.join(path.posix.dirname(workerDir), id, path.posix.basename(workerDir));
}

export function hostStager(host: SshHost, dir: RunDir, id: string): Stager {
  const puts = new Map<string, Promise<string>>();
  const located = new Map<string, Promise<string>>();
  const fresh = () => `${dir.path}/${randomBytes(12).toString('hex')}`;

  /** Streams `remote` into `local`; false when the host has no such file. */
  const download = async (remote: string, local: string): Promise<boolean> => {
    const child = host.spawnClient(shScript(CAT, [remote]), [], ['ignore', 'pipe', 'pipe']);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    fs.mkdirSync(path.dirname(local), { recursive: true, mode: 0o700 });
    await pipeline(child.stdout!, fs.createWriteStream(local, { mode: 0o600 })).catch(() => undefined);
    const code = await closed;
    if (code === 3) {
      fs.rmSync(local, { force: true });
      return false;
    }
    if (code !== 0) {
      fs.rmSync(local, { force: true });
      throw host.remoteError(`copying ${remote} back failed (exit ${code}): ${oneLine(err)}`);
    }
    return true;
  };

  return {
    put(localFile) {
      let p = puts.get(localFile);
      if (!p) {
        p = dir.upload(localFile, randomBytes(12).toString('hex'), 0o600).then((u) => u.path);
        puts.set(localFile, p);
        p.catch(() => puts.delete(localFile));
      }
      return p;
    },
    where: `deployment ${host.options.deployment}, host ${host.label}`,
    inPlace(hostPath, size) {
      // Checked once per file and host (the worker's hash check guards every read).
      let p = located.get(hostPath);
      if (!p) {
        p = (async () => {
          const r = await host.run(shScript(SIZE, [hostPath]));
          if (r.code === 3) throw host.remoteError(`data input ${hostPath} (listed in the deployment's data manifest) is not a file on this host; put the ciphertext there, or remove it from the manifest and the inputs`);
          if (r.code !== 0) throw host.remoteError(`checking data input ${hostPath} failed (exit ${r.code ?? r.signal}): ${oneLine(r.stderr)}`);
          const found = Number(r.stdout.toString('utf8').trim());
          if (found !== size) throw host.remoteError(`data input ${hostPath} is ${found} bytes, not the ${size} its data manifest records; it was changed after it was listed`);
          return hostPath;
        })();
        located.set(hostPath, p);
        p.catch(() => located.delete(hostPath));
      }
      return p;
    },
    fresh,
    scratch: (assigned) => path.posix.join(path.posix.dirname(assigned), id, randomBytes(8).toString('hex')),
    async getTree(remoteDir, localDir) {
      const listed = await host.runChecked(shScript(LIST, [remoteDir]), `listing ${remoteDir}`);
      const names = listed.toString('utf8').split('\0').filter((n) => n !== '');
      for (const n of names) {
        const rel = path.posix.normalize(n);
        if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw host.remoteError(`the output directory lists ${JSON.stringify(n)}, outside itself`);
        await download(`${remoteDir}/${rel}`, path.join(localDir, rel));
      }
    },
    async getFile(remoteFile, localFile) {
      await download(remoteFile, localFile);
    },
    async collect(remoteDir, localDir, files, discard) {
      const labels = files.map((_, i) => String.fromCharCode(97 + i));
      const child = host.spawnClient(shScript(COLLECT_SCRIPT, [remoteDir, ...files.map(([r], i) => `${labels[i]}=${r}`), '--', ...discard]), [], ['ignore', 'pipe', 'pipe']);
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8').slice(0, 4096)));
      const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
      const parser = new CollectParser(host.label);
      const written: string[] = [];
      let fd: number | null = null;
      try {
        for await (const chunk of child.stdout!) {
          for (const e of parser.push(chunk as Buffer)) {
            if (e.type === 'file') {
              const n = checkCollectName(e.name, host.label);
              const local = n.kind === 'd' ? path.join(localDir, n.rest) : files[labels.indexOf(n.rest)]?.[1];
              if (local === undefined) throw host.remoteError(`returned a log ${JSON.stringify(n.rest)} that was not asked for`);
              fs.mkdirSync(path.dirname(local), { recursive: true, mode: 0o700 });
              fd = fs.openSync(local, 'w', 0o600);
              written.push(local);
            } else if (e.type === 'data') {
              for (let off = 0; off < e.bytes.length; ) off += fs.writeSync(fd!, e.bytes, off, e.bytes.length - off);
            } else {
              fs.closeSync(fd!);
              fd = null;
            }
          }
        }
        parser.end();
        const code = await closed;
        if (code !== 0) throw host.remoteError(`copying back ${remoteDir} failed (exit ${code}): ${oneLine(err)}`);
      } catch (e) {
        child.kill();
        if (fd !== null) fs.closeSync(fd);
        for (const f of written) fs.rmSync(f, { force: true });
        throw e;
      }
    },
    discard(remote) {
      if (remote.length > 0) void host.run(shScript('rm -rf -- "$@"', remote)).catch(() => undefined);
    },
    // The host's connection lives as long as its control master (connector.ts, liveness).
    connected: async () => (await host.masterPid().catch(() => null)) !== null,
  };
}
