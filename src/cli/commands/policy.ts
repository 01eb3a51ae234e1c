/** `sealflow policy init`: a policy file for a deployment, with this sealflow's reference sim measurement. */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { defaultMasterDir, readMasterPublic } from '../../crypto/master-key.js';
import { referenceSimMeasurement } from '../../tee/sim/measure.js';

export function policyText(pin: string, measurement: string, allowSimulated: boolean): string {
  return [
    '# sealflow attestation policy (docs/attestation-policy.md), written by "sealflow policy init".',
    `# Master pin: ${pin}`,
    '#',
    '# sim is NOT a TEE: it is accepted only from local deployments, and only while allowSimulated is true.',
    `allowSimulated: ${allowSimulated}`,
    'sim:',
    '  # SHA-384 over the provisioner of this sealflow and its sim launch configuration (docs/protocol.md §3)',
    `  measurements: ["${measurement}"]`,
    '  allowDebug: false',
    '',
    '# Hardware platforms: nothing is allowed until you list the measurements of YOUR built image.',
    '# gramine/occlum: MRENCLAVE printed by gramine-sgx-sign / occlum build (or a signer you hold).',
    '# cvm: SNP MEASUREMENT with hostData = SHA-256 of launch.json; TDX MRTD + RTMRs with mrConfigId.',
    'sgx:',
    '  mrEnclaves: []          # placeholder: add the MRENCLAVE of your signed provisioner enclave',
    'sev-snp:',
    '  measurements: []        # placeholder: add the launch MEASUREMENT of your measured-boot image',
    'tdx:',
    '  measurements: []        # placeholder: add { mrtd, rtmr0..3, mrConfigId } of your image',
    '',
  ].join('\n');
}

export function register(program: Command): void {
  const policy = program.command('policy').description('attestation policies for deployments');
  policy
    .command('init')
    .description('Write a policy file listing the reference sim measurement of this sealflow\'s provisioner for this master\n(and documented placeholders for gramine, occlum and cvm). Refuses to overwrite a file.')
    .option('--dir <dir>', 'master directory (default: $SEALFLOW_HOME/master or ~/.sealflow/master)')
    .option('-o, --output <file>', 'where to write the policy', 'policy.yaml')
    .option('--no-allow-simulated', 'write allowSimulated: false (sim workers will be refused)')
    .action(async (opts: { dir?: string; output: string; allowSimulated: boolean }) => {
      const info = await readMasterPublic(opts.dir ?? defaultMasterDir());
      const text = policyText(info.pin, referenceSimMeasurement(info.pin), opts.allowSimulated);
      let fh;
      try {
        fh = await open(opts.output, 'wx', 0o644);
      } catch (err) {
        throw new InputError(`cannot create ${opts.output}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists (remove it or choose another -o)' : (err as Error).message}`);
      }
      await fh.writeFile(text);
      await fh.close();
      process.stdout.write(`${opts.output}\n`);
    });
  policy
    .command('add-measurement')
    .description('Add a measurement to a policy file: an SGX MRENCLAVE (sealflow tee measure), an SEV-SNP launch MEASUREMENT (sev-snp-measure), or a sim measurement.\nThe file keeps its comments; it must still load as a policy, or it is left unchanged.')
    .requiredOption('--platform <p>', 'sgx, sev-snp or sim')
    .argument('<policy>', 'the policy file')
    .argument('<measurement>', 'the measurement, hex')
    .action(async (file: string, value: string, o: { platform: string }) => {
      if (!['sgx', 'sev-snp', 'sim'].includes(o.platform)) throw new InputError(`--platform ${o.platform}: measurements are added for sgx, sev-snp or sim (TDX entries have several fields: edit the file)`);
      const { addToPolicy } = await import('../tee-actions.js');
      process.stdout.write(addToPolicy(file, o.platform as 'sgx' | 'sev-snp' | 'sim', value) ? `added to ${file}\n` : `${file} already lists it\n`);
    });
  for (const c of policy.commands) c.exitOverride();
  policy.exitOverride();
}
