/**
 * The owner's side of an `occlum` deployment in `sealflow run`
 * (docs/tee-platforms.md "occlum"): the master generates `Occlum.json`, the
 * `copy_bom` file and the image entry for the deployment, bundles the
 * provisioner and the entry with esbuild, makes the entry a Node
 * single-executable application (`node --experimental-sea-config`, then
 * `postject` into a copy of this machine's `node`), and builds and signs the
 * image with the owner's key (`occlum new`, `copy_bom`, `occlum build
 * --sign-key`; the key file is read by Occlum here and never shipped). The
 * instance directory is then packed into one deterministic tar archive — the
 * one file the connector ships and checks (SHA-256 against these bytes), and
 * that the host unpacks into the worker's directory before `occlum run`.
 *
 * Built once per distinct configuration: a build record in the master's cache
 * keys the archive by everything the build read (the generated files, the
 * provisioner, node and its libraries, the toolchain, postject, esbuild, the
 * signing key's bytes); a later run with the same key reuses the archive
 * (its bytes checked against the recorded SHA-256) and runs nothing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OperationError } from '../errors.js';
import { defaultMasterDir } from '../crypto/master-key.js';
import { packDirectory } from '../protocol/tar.js';
import { sizingOverrides } from '../tee/deployment-sizing.js';
import { measuredBinary } from '../tee/ldd.js';
import { INSTANCE_ARCHIVE, occlumLaunchPlan } from '../tee/occlum/index.js';
import { measuredFiles, type LaunchPlan } from '../tee/plan.js';
import { provisionerBundle } from '../tee/provisioner-bundle.js';
import { launchConfigText } from '../tee/sim/measure.js';
import { resolveOnPath } from '../workflow/which.js';
import { deploymentStep, evidenceSource, ownerEnv, type HardwareOptions } from './gramine-enclave.js';

/** Node's SEA fuse (the sentinel postject flips; docs.nodejs.org "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const INSTANCE = 'sealflow-instance';

interface ImageRecord {
  readonly version: 1;
  /** SHA-256 of the instance archive `occlum-<key>.tar` beside the record. */
  readonly sha256: string;
}

const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

/** A binary as the cache key sees it: where it is and which bytes (size, mtime, inode: hashing node on every run would cost more than the check saves). */
function statKey(file: string): string {
  const s = fs.statSync(file);
  return `${file}:${s.size}:${s.mtimeMs}:${s.ino}`;
}

function run(id: string, what: string, file: string, args: readonly string[], cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { cwd, env, maxBuffer: 16 << 20 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const tail = String(stderr).trim().split('\n').slice(-3).join(' ');
      reject(new OperationError(`deployment ${id}: ${what} failed while the master built the Occlum image${tail !== '' ? `: ${tail}` : ''}; check the Occlum installation and the signing key`));
    });
  });
}

/** The master's cache directory (beside the provisioner bundle's). */
function cacheDir(): string {
  return path.join(path.dirname(defaultMasterDir(process.env)), 'cache');
}

/** The archive a build record vouches for, if its bytes still have the recorded hash; else null. */
async function cached(key: string): Promise<string | null> {
  const archive = path.join(cacheDir(), `occlum-${key}.tar`);
  try {
    const r = JSON.parse(fs.readFileSync(path.join(cacheDir(), `occlum-${key}.json`), 'utf8')) as ImageRecord;
    if (r.version !== 1 || typeof r.sha256 !== 'string') return null;
    return (await fileSha256(archive)) === r.sha256 ? archive : null;
  } catch {
    return null; // no record, or unreadable: build
  }
}

/**
 * Builds deployment `id`'s Occlum image in `dir` (the master's session
 * directory) unless this configuration's archive is in the cache; returns
 * the files the host receives, by name (the one instance archive).
 */
export async function buildOcclumImage(dir: string, id: string, options: Readonly<Record<string, unknown>>, o: HardwareOptions, pin: string): Promise<Record<string, string>> {
  // The owner's toolchain, found once: its files are part of the build's cache key below.
  const toolchain: string[] = [];
  for (const tool of ['occlum', 'copy_bom']) {
    const found = await resolveOnPath(tool, process.env['PATH'] ?? '');
    if (found === undefined) throw new OperationError(`deployment ${id}: ${tool} is not on this machine's PATH; the master builds and signs the Occlum image with the owner's key, so Occlum must be installed here (docs/tee-platforms.md "occlum")`);
    toolchain.push(found);
  }
  const key = path.resolve(o.signingKey as string);
  const node = measuredBinary(process.execPath);
  const provisioner = provisionerBundle();
  const plan = occlumLaunchPlan({ step: deploymentStep(id), inputBytes: 0, overrides: sizingOverrides('occlum', options), node, tools: [], installDir: '/', launchConfig: launchConfigText(pin, evidenceSource('occlum', o)), signingKey: key });
  const require = createRequire(import.meta.url);
  const postject = path.join(path.dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
  const esbuild = require('esbuild') as typeof import('esbuild');
  const keyOf = createHash('sha256');
  for (const [name, text] of Object.entries(plan.files).sort(([a], [b]) => (a < b ? -1 : 1))) keyOf.update(`${name}\0${sha256Hex(text)}\0`);
  for (const f of [...measuredFiles([node]), ...toolchain, postject]) keyOf.update(`${statKey(f)}\0`);
  keyOf.update(`${provisioner.sha256}\0${esbuild.version}\0${sha256Hex(fs.readFileSync(key))}\0${plan.sizing?.edmm === true ? 'edmm' : 'no-edmm'}`);
  const cacheKey = keyOf.digest('hex').slice(0, 32);
  // Two deployments of one run with the same configuration share one build (and one temporary archive name).
  let archive = inflight.get(cacheKey);
  if (archive === undefined) {
    archive = cached(cacheKey).then((hit) => hit ?? buildArchive(dir, id, plan, key, provisioner.path, postject, esbuild, cacheKey));
    inflight.set(cacheKey, archive);
    void archive.then(() => inflight.delete(cacheKey), () => inflight.delete(cacheKey));
  }
  return { [INSTANCE_ARCHIVE]: await archive };
}

/** Builds in progress in this process, by cache key. */
const inflight = new Map<string, Promise<string>>();

/** plan.build, step by step, in a fresh directory under `dir`; returns the cached archive. */
async function buildArchive(dir: string, id: string, plan: LaunchPlan, key: string, provisioner: string, postject: string, esbuild: typeof import('esbuild'), cacheKey: string): Promise<string> {
  const build = fs.mkdtempSync(path.join((fs.mkdirSync(dir, { recursive: true, mode: 0o700 }), dir), 'build-'));
  try {
    for (const [name, text] of Object.entries(plan.files)) fs.writeFileSync(path.join(build, name), text);
    fs.copyFileSync(provisioner, path.join(build, 'provisioner.mjs'));
    // plan.build, step by step: esbuild (the provisioner, then the entry that requires it) as CommonJS, the only form a SEA runs.
    const cjs = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent', absWorkingDir: build } as const;
    await esbuild.build({ ...cjs, entryPoints: ['provisioner.mjs'], outfile: path.join(build, 'provisioner.cjs') });
    await esbuild.build({ ...cjs, entryPoints: ['sea-main.cjs'], outfile: path.join(build, 'sealflow-provisioner.cjs') });
    const env = ownerEnv();
    await run(id, 'node --experimental-sea-config', process.execPath, ['--experimental-sea-config', 'sea-config.json'], build, env);
    fs.copyFileSync(process.execPath, path.join(build, 'sealflow-provisioner'));
    fs.chmodSync(path.join(build, 'sealflow-provisioner'), 0o755);
    await run(id, 'postject', process.execPath, [postject, 'sealflow-provisioner', 'NODE_SEA_BLOB', 'sealflow-provisioner.blob', '--sentinel-fuse', SEA_FUSE], build, env);
    await run(id, 'occlum new', 'occlum', ['new', INSTANCE], build, env);
    const instance = path.join(build, INSTANCE);
    fs.copyFileSync(path.join(build, 'Occlum.json'), path.join(instance, 'Occlum.json'));
    await run(id, 'copy_bom', 'copy_bom', ['-f', '../sealflow.yaml', '--root', 'image', '--include-dir', '/opt/occlum/etc/template'], instance, env);
    await run(id, 'occlum build', 'occlum', ['build', '--sign-key', key], instance, plan.sizing?.edmm === true ? { ...env, ENABLE_EDMM: 'Y' } : env);
    return await packInstance(id, instance, cacheKey);
  } finally {
    fs.rmSync(build, { recursive: true, force: true });
  }
}

/** Packs `instance` into the cache as `occlum-<key>.tar` (atomically), then writes its record. */
async function packInstance(id: string, instance: string, key: string): Promise<string> {
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const archive = path.join(dir, `occlum-${key}.tar`);
  const tmp = `${archive}.${process.pid}.tmp`;
  const h = createHash('sha256');
  try {
    const out = fs.createWriteStream(tmp, { mode: 0o644 });
    await pipeline(packDirectory(instance), async function* (src: AsyncIterable<Uint8Array>) {
      for await (const c of src) {
        h.update(c);
        yield c;
      }
    }, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new OperationError(`deployment ${id}: the built Occlum instance cannot be packed for the host (${e instanceof Error ? e.message : String(e)}); it must hold only files and directories`);
  }
  fs.renameSync(tmp, archive);
  const record: ImageRecord = { version: 1, sha256: h.digest('hex') };
  fs.writeFileSync(path.join(dir, `occlum-${key}.json`), JSON.stringify(record), { mode: 0o644 });
  return archive;
}
