/** `sealflow receipt verify`: the owner's check of a run receipt (docs/protocol.md §14). */
import fs from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { checkOutputs, describeProblem, readVerifiedReceipt, trustedMaster } from '../../master/receipt/check.js';
import type { Receipt } from '../../master/receipt/model.js';
import { ReceiptError } from '../../master/receipt/signature.js';

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
    .argument('<receipt>', 'the receipt.json written beside the results')
    .option('--master-key <key>', 'the master you trust: its pin (64 hex) or a file with its public key (the output of "sealflow master key"); default: the local master')
    .option('--outputs <dir>', 'check each output listed in the receipt against the files in DIR (default: not checked)')
    .addHelpText('after', '\nExit status: 0 verified; 1 refused (modified, signed by another master, an output that does not match); 2 usage or unreadable files.\nExample:\n  sealflow receipt verify out/receipt.json --master-key master.pub --outputs out')
    .action(async (file: string, opts: { masterKey?: string; outputs?: string }) => {
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
  for (const c of receipt.commands) c.exitOverride();
  receipt.exitOverride();
}
