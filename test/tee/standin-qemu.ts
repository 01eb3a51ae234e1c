/**
 * A stand-in `qemu-system-x86_64` for the `cvm` platform (put first on PATH
 * by standins.ts). It records its arguments, refuses a command line without
 * a confidential guest and measured direct boot (`confidential-guest-support`
 * naming an `sev-snp-guest` with `kernel-hashes=on` and `host-data`, or a
 * `tdx-guest` with `mrconfigid`; `-kernel`, `-initrd`, `-append`, `-bios`),
 * and "boots" the guest by running the fixed unit's `ExecStart` natively:
 * the provisioner and launch.json from the `-initrd` (a newc cpio, cpio.ts),
 * node at the unit's path (the tests' initrds leave node out to stay small),
 * the `-fw_cfg` files laid out under the fw_cfg root launch.json names as the
 * kernel's sysfs shows them (`<root>/<name>/raw`), and configfs-tsm at the
 * evidence root launch.json names. It is not a VM and proves nothing about
 * SEV-SNP or TDX; it shows what the image and the launch make run.
 *
 * Two things of a real machine it stands in for by other means, said here:
 * - user-mode networking: no guest network exists, so the master address
 *   the guest is given (`10.0.2.100:<port>`) is translated to its `guestfwd`
 *   target in the unmeasured values as they are laid out — the translation
 *   slirp does on the wire;
 * - the kernel's configfs-tsm: an entry is filled when it is made, which no
 *   plain directory does, so a device model (TSM_MODEL) is loaded into the
 *   guest's node with `--import` and fills each entry from recorded
 *   evidence (`<bin>/cvm-evidence/{outblob,auxblob,provider}`; a file
 *   `concurrent-writer` there makes one more write to `generation`).
 */
const CPIO = new URL('./cpio.js', import.meta.url).href;

export const TSM_MODEL = `import fs from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
const q = new URL(import.meta.url).searchParams;
const root = path.resolve(q.get('root'));
const from = q.get('from');
const extra = Number(q.get('extra') ?? '0');
const p = fs.promises;
const entry = (x) => typeof x === 'string' && path.dirname(path.resolve(x)) === root;
const { mkdir, writeFile, rmdir } = p;
p.mkdir = async function (x, ...rest) {
  const r = await mkdir.call(this, x, ...rest);
  if (entry(x)) {
    for (const f of ['outblob', 'auxblob', 'provider']) if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(x, f));
    fs.writeFileSync(path.join(x, 'generation'), '0\\n');
  }
  return r;
};
p.writeFile = async function (x, data, ...rest) {
  const r = await writeFile.call(this, x, data, ...rest);
  if (typeof x === 'string' && path.basename(x) === 'inblob' && entry(path.dirname(x))) {
    const g = path.join(path.dirname(x), 'generation');
    fs.writeFileSync(g, String(Number(fs.readFileSync(g, 'latin1')) + 1 + extra) + '\\n');
  }
  return r;
};
p.rmdir = async function (x, ...rest) {
  return entry(x) ? p.rm(x, { recursive: true }) : rmdir.call(this, x, ...rest);
};
syncBuiltinESMExports();
`;

export const QEMU_SCRIPT = `(async () => {
  const { readNewc, extractNewc } = await import(${JSON.stringify(CPIO)});
  const argv = process.argv.slice(2);
  const opt = (n) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : undefined; };
  const all = (n) => argv.flatMap((a, i) => (a === n ? [argv[i + 1]] : []));
  // QEMU option syntax: key=value pairs split at ',', a doubled ',,' is a literal comma.
  const kv = (s) => Object.fromEntries(s.replaceAll(',,', '\\0').split(',').map((p) => { const i = p.indexOf('='); return i < 0 ? [p.replaceAll('\\0', ','), ''] : [p.slice(0, i), p.slice(i + 1).replaceAll('\\0', ',')]; }));
  // Inside qemu's working directory (the worker's, which the connector removes even when it kills qemu), and removed on every exit here.
  const cleanup = [];
  const refuse = (why) => { log({ refused: why }); process.stderr.write('stand-in qemu-system-x86_64: ' + why + '\\n'); for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true }); process.exit(1); };
  const cgs = kv(opt('-machine') ?? '')['confidential-guest-support'];
  if (!cgs) refuse('-machine has no confidential-guest-support: this would be an ordinary VM, not a confidential one');
  const obj = all('-object').map((o) => [o.split(',')[0], kv(o)]).find(([, o]) => o.id === cgs);
  if (!obj) refuse('no -object with id=' + cgs + ' (the confidential guest)');
  const [type, o] = obj;
  if (type === 'sev-snp-guest') {
    if (o['kernel-hashes'] !== 'on') refuse('sev-snp-guest without kernel-hashes=on: the kernel, initrd and command line would not be measured');
    if (Buffer.from(o['host-data'] ?? '', 'base64').length !== 32) refuse('sev-snp-guest without a 32-byte host-data');
  } else if (type === 'tdx-guest') {
    if (Buffer.from(o.mrconfigid ?? '', 'base64').length !== 48) refuse('tdx-guest without a 48-byte mrconfigid');
  } else refuse(type + ' is not sev-snp-guest or tdx-guest');
  for (const n of ['-bios', '-kernel', '-initrd', '-append']) if (!opt(n) || !(n === '-append' || fs.existsSync(opt(n)))) refuse('measured direct boot needs ' + n + (opt(n) ? ' ' + opt(n) + ', which does not exist' : ''));
  const fwCfg = all('-fw_cfg').map(kv);
  const fwd = new Map();
  for (const part of (opt('-netdev') ?? '').split(',')) { const m = /^guestfwd=tcp:([0-9.]+):(\\d+)-tcp:(.+):(\\d+)$/.exec(part); if (m) fwd.set(m[1] + ':' + m[2], m[3] + ':' + m[4]); }
  const tree = fs.mkdtempSync(path.join(process.cwd(), 'guest-root-'));
  cleanup.push(tree);
  let code = 1;
  try {
    extractNewc(readNewc(fs.readFileSync(opt('-initrd'))), tree);
    const unit = fs.readFileSync(path.join(tree, 'etc/systemd/system/sealflow-provisioner.service'), 'utf8');
    const exec = /^ExecStart=(.*)$/m.exec(unit)[1].split(' ');
    const launch = JSON.parse(fs.readFileSync(path.join(tree, 'opt/sealflow/launch.json'), 'utf8'));
    const tsm = launch.evidence?.root;
    const fwRoot = launch.unmeasured?.root;
    if (!tsm || !fwRoot) refuse('the stand-in boots no kernel: launch.json must name evidence.root and unmeasured.root (the replay knobs)');
    cleanup.push(fwRoot);
    for (const f of fwCfg) {
      let data = fs.readFileSync(path.resolve(f.file));
      if (f.name.endsWith('/unmeasured.json')) {
        try { const u = JSON.parse(data.toString('utf8')); if (typeof u.master === 'string' && fwd.has(u.master)) data = Buffer.from(JSON.stringify({ ...u, master: fwd.get(u.master) })); } catch {}
      }
      fs.mkdirSync(path.join(fwRoot, f.name), { recursive: true });
      fs.writeFileSync(path.join(fwRoot, f.name, 'raw'), data);
    }
    fs.mkdirSync(tsm, { recursive: true });
    const run = fs.mkdtempSync(path.join(process.cwd(), 'guest-run-'));
    cleanup.push(run);
    const inTree = (a) => (a.startsWith('/opt/sealflow/') ? path.join(tree, a) : a);
    const dash = exec.indexOf('--');
    const evidence = path.join(__dirname, 'cvm-evidence');
    const model = require('node:url').pathToFileURL(path.join(__dirname, 'tsm-model.mjs')).href + '?root=' + encodeURIComponent(tsm) + '&from=' + encodeURIComponent(evidence) + '&extra=' + (fs.existsSync(path.join(evidence, 'concurrent-writer')) ? 1 : 0);
    const cmd = [...exec.slice(0, dash), '--import=' + model, ...exec.slice(dash).map(inTree)];
    log({ payload: { type, cmd: exec, env: exec.slice(2, dash - 1), argv: exec.slice(dash + 1) } });
    const serial = (opt('-serial') ?? '').startsWith('file:') ? opt('-serial').slice(5) : null;
    const out = serial !== null ? fs.openSync(serial, 'a') : 'inherit';
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd: run, stdio: ['ignore', out, out], env: {} });
    // The stand-in's own record (a real qemu keeps none): how the guest's program ended, and the console's tail.
    log({ exit: r.status, console: serial !== null ? fs.readFileSync(serial, 'utf8').slice(-2000) : '' });
    // SuccessAction= / FailureAction=poweroff-force: the guest powers off, and qemu exits 0 either way.
    code = 0;
  } finally {
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  }
  process.exit(code);
})();
`;
