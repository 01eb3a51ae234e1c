/** `sealflow receipt verify`: the owner's check of a run receipt (docs/protocol.md §14). */
import fs from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { checkOutputs, describeProblem, readVerifiedReceipt, trustedMaster } from '../../master/receipt/check.js';
import type { Receipt } from '../../master/receipt/model.js';
import { ReceiptError } from '../../master/receipt/signature.js';
import { RECEIPT_FILE } from '../../master/receipt/model.js';
import { checkCrate } from '../../report/crate-check.js';
import { exportCrate } from '../../report/export.js';
import { source } from './report.js';
import { DEFAULT_STATE_DIR } from '../../engine/run-dir.js';
import path from 'node:path';

/** §14.7: each step instance's programs, with SHA-256 and whether they were pinned. */
function toolLines(r: Receipt): string[] {
  if (r.tools === undefined) return [`tools: not recorded (a version ${r.version} receipt)`];
  if (r.tools.length === 0) return ['tools: none recorded (no command step ran on a fixed PATH or with pins)'];
  const all = r.tools.flatMap((s) => s.tools);
  const pinned = all.filter((t) => t.pinned).length;
  return [
    `tools: ${all.length} run by ${r.tools.length} step instance${r.tools.length === 1 ? '' : 's'} (${pinned} pinned: SHA-256 checked before exec; ${all.length - pinned} unpinned: recorded only)`,
    ...r.tools.flatMap((s) => s.tools.map((t) => `  ${s.step}[${s.index}] attempt ${s.attempt}: ${t.tool} ${t.path} sha256 ${t.sha256} ${t.pinned ? 'pinned' : 'NOT pinned'}`)),
  ];
}

function summary(r: Receipt, outputsLine: string): string {
  const lines = [
    `receipt OK: signed by the master with pin ${r.master.pin}`,
    `run ${r.run.id} (${r.run.name}) succeeded: ${r.run.startedAt} to ${r.run.finishedAt}, ${r.run.sessions} session${r.run.sessions > 1 ? 's' : ''}`,
    `workflow ${r.workflow.file} sha256 ${r.workflow.sha256}`,
    `policy ${r.policy.sha256 ?? `none (${r.policy.note ?? 'no file'})`}`,
    `data ${r.encrypted ? 'encrypted (age)' : 'NOT encrypted'}; inputs: ${r.inputs.map((i) => `${i.name}${i.ciphertextSha256 ? ` (ciphertext ${i.ciphertextSha256.slice(0, 16)}…)` : ' (plaintext, not hashed)'}`).join(', ') || 'no files'}`,
    'workers:',
    ...r.workers.map((w) => `  ${w.id} (${w.platform} on ${w.host}${w.job !== undefined ? `, ${w.connector} job ${w.job}` : ''}${w.revoked !== undefined ? `, revoked: ${w.revoked}` : ''}): ${w.statement}`),
    ...(r.steps !== undefined ? [`steps: ${r.steps.map((s) => `${s.step}[${s.index}] on ${s.worker}`).join(', ')}`] : []),
    ...toolLines(r),
    `key releases: ${r.keyReleases.filter((k) => k.decision === 'released').length} released, ${r.keyReleases.filter((k) => k.decision === 'refused').length} refused (ids only)`,
    outputsLine,
    ...r.statements.map((s) => `note: ${s}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  const receipt = program.command('receipt').description('check a run receipt signed by the master (receipt.json beside the results)');
  receipt
    .command('verify')
    .description(
      'Verify a receipt: canonical form, the ECDSA signature, and that the master key that signed it is the one you trust.\n' +
        'With --outputs DIR, also check the SHA-256 of every output file it lists.',
    )
    .argument('[receipt]', 'the receipt.json written beside the results (with --ro-crate: when the crate does not hold it)')
    .option('--ro-crate <dir>', 'check a crate written by `sealflow receipt export`: the receipt (in it, or the argument) against the master, then every hash the crate records against the receipt')
    .option('--master-key <key>', 'the master you trust: its pin (64 hex) or a file with its public key (the output of "sealflow master key"); default: the local master')
    .option('--outputs <dir>', 'check each output listed in the receipt against the files in DIR (default: not checked)')
    .addHelpText('after', '\nExit status: 0 verified; 1 refused (modified, signed by another master, an output that does not match); 2 usage or unreadable files.\nExample:\n  sealflow receipt verify out/receipt.json --master-key master.pub --outputs out')
    .action(async (file: string | undefined, opts: { masterKey?: string; outputs?: string; roCrate?: string }) => {
      if (opts.roCrate !== undefined) {
        const c = checkCrate(opts.roCrate, await trustedMaster(opts.masterKey), file);
        process.stdout.write(
          `crate OK: ${opts.roCrate} matches the receipt${c.receiptInCrate ? ' it holds' : ` ${file}`}, signed by the master with pin ${c.receipt.master.pin}\n` +
            `run ${c.receipt.run.id}: ${c.actions} step actions, ${c.files} hashed entities, each one the receipt signs\n`,
        );
        return;
      }
      if (file === undefined) throw new InputError('give the receipt.json to verify (or --ro-crate DIR)');
      const r = readVerifiedReceipt(file, await trustedMaster(opts.masterKey));
      let outputsLine = `outputs: ${r.outputs.length} file${r.outputs.length === 1 ? '' : 's'} listed (not checked: give --outputs DIR)`;
      if (opts.outputs !== undefined) {
        if (!fs.statSync(opts.outputs, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`--outputs ${opts.outputs}: not a directory (give the directory the receipt was written in)`);
        const problems = await checkOutputs(r, opts.outputs);
        if (problems.length > 0) {
          throw new ReceiptError(`the signature is valid, but ${problems.length} of ${r.outputs.length} output${r.outputs.length === 1 ? '' : 's'} do not match the receipt:\n${problems.map((p) => `  ${describeProblem(p, opts.outputs as string)}`).join('\n')}`);
        }
        outputsLine = `outputs: all ${r.outputs.length} match their SHA-256 in ${opts.outputs}`;
      }
      process.stdout.write(summary(r, outputsLine));
    });
  receipt
    .command('export')
    .description(
      'Export a succeeded run as a Workflow Run RO-Crate (Provenance Run Crate profile 0.5) with each step\'s worker, platform, measurement and evidence class, and the receipt\'s signature.\n' +
        'By default files appear by label and ciphertext SHA-256 only; names and values only with --include-… and the owner identity.',
    )
    .argument('[id]', 'run id (see `sealflow runs`)')
    .requiredOption('--ro-crate <dir>', 'the crate directory to write (new or empty)')
    .option('--state-dir <dir>', 'where runs are kept', DEFAULT_STATE_DIR)
    .option('--run-dir <dir>', 'the run in this run directory instead of one of --state-dir')
    .option('--outputs <dir>', 'where the run\'s outputs are (default: beside its receipt)')
    .option('--master-key <key>', 'the master the receipt must be signed by (default: the local master)')
    .option('--include-names', 'also the workflow\'s and the input files\' names, and the signed receipt itself (then the crate verifies on its own); needs --identity')
    .option('--include-values', 'also the non-file input values; needs --identity')
    .option('--identity <file>', 'the owner identity (it must open one of the run\'s outputs)')
    .addHelpText('after', '\nCheck a crate: sealflow receipt verify --ro-crate DIR [receipt.json] --master-key PIN')
    .action(async (id: string | undefined, opts: { roCrate: string; stateDir: string; runDir?: string; outputs?: string; masterKey?: string; includeNames?: boolean; includeValues?: boolean; identity?: string }) => {
      const src = source(id, opts);
      const r = await exportCrate({
        src,
        outputsDir: opts.outputs ?? (src.receipt !== undefined ? path.dirname(src.receipt) : src.dir),
        dir: opts.roCrate,
        expected: await trustedMaster(opts.masterKey),
        ...(opts.includeNames ? { includeNames: true } : {}),
        ...(opts.includeValues ? { includeValues: true } : {}),
        ...(opts.identity !== undefined ? { identity: opts.identity } : {}),
        version: process.env['npm_package_version'] ?? '0.1.0',
      });
      process.stdout.write(`crate written to ${r.dir}: ${r.actions} actions${r.receiptInCrate ? `, with the signed ${RECEIPT_FILE} (names included: mode 0600)` : `; it does not hold the receipt (which names files): a receiver checks it with the receipt beside the results`}\n`);
    });
  for (const c of receipt.commands) c.exitOverride();
  receipt.exitOverride();
}
