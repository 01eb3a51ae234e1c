/**
 * `sealflow tee plan`: the files a TEE platform generates for one step and
 * the commands the owner and the host would run, written for a person to
 * inspect. `sealflow tee measure`: the measurement a built enclave has, from
 * the platform's own tool where it is installed (never computed here).
 */
import type { Command } from 'commander';
import type { PlanFlags } from '../tee-actions.js';

export function register(program: Command): void {
  const tee = program.command('tee').description('TEE platforms: generated files, launch plans and measurements (docs/tee-platforms.md)');
  tee
    .command('plan')
    .description('Write the files a platform generates for one step, and the commands the owner and the host would run, for a person to inspect')
    .requiredOption('--platform <name>', 'gramine, occlum, cvm or sgx-lkl')
    .requiredOption('--workflow <file>', 'the workflow file')
    .requiredOption('--step <id>', 'the step to plan')
    .requiredOption('--out <dir>', 'where to write (files there are never overwritten)')
    .option('--input-bytes <size>', 'total size of the step\'s inputs (e.g. 4G)')
    .option('--enclave-size <size>', 'override the derived enclave size (a power of two, e.g. 16G)')
    .option('--thread-slots <n>', 'override the derived thread slots')
    .option('--edmm', 'enable EDMM (SGX2)')
    .option('--scratch <mode>', 'memory (in-enclave tmpfs, default) or encrypted (an encrypted mount keyed inside the enclave)')
    .option('--pin <hex>', 'the master pin (default: this master\'s)')
    .option('--signing-key <file>', 'the owner\'s enclave signing key (used on the owner\'s side only)', 'enclave-key.pem')
    .option('--install-dir <dir>', 'where the provisioner and launch.json are installed', '/opt/sealflow')
    .action(async (o: PlanFlags) => (await import('../tee-actions.js')).planCommand(o));
  tee
    .command('measure')
    .description('Print the MRENCLAVE of a signed Gramine enclave (gramine-sgx-sigstruct-view) or a built Occlum instance (occlum print mrenclave), and with --policy add it there')
    .option('--sigstruct <file>', 'the .sig file gramine-sgx-sign wrote')
    .option('--occlum-instance <dir>', 'the Occlum instance directory occlum build wrote')
    .option('--policy <file>', 'add the measurement to this policy file')
    .action(async (o: { sigstruct?: string; occlumInstance?: string; policy?: string }) => (await import('../tee-actions.js')).measureCommand(o));
  for (const c of tee.commands) c.exitOverride();
  tee.exitOverride();
}

