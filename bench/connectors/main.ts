/**
 * bench/connectors: sealflow across hosts, measured beside its peer in one invocation.
 *
 *   node dist/bench/connectors/main.js transfer [--mib 1024] [--reps 3]
 *   SEALFLOW_HOME=$(mktemp -d) node dist/bench/connectors/main.js ready [--n 8] [--reps 3]
 *   node dist/bench/connectors/main.js overhead [--n 100,1000] [--reps 2] [--workers 2]
 *   node dist/bench/connectors/main.js hybrid [--size 1GB] [--reps 1]   (also slurm-wlm + munge)
 *
 * Needs root, iproute2, openssh-server/client (the namespace hosts of
 * test/helpers/hosts.ts). Results: bench/RESULTS.md.
 */
import { hybridBench } from './hybrid.js';
import { overheadBench } from './overhead.js';
import { readyBench } from './ready.js';
import { transferBench } from './transfer.js';
import { helpIfAsked } from '../help.js';

helpIfAsked(`usage: node dist/bench/connectors/main.js <transfer|ready|overhead|hybrid> [options]

sealflow across hosts (network-namespace sshd hosts, a two-node Slurm cluster), each beside its peer in
one invocation:
  transfer [--mib 1024] [--reps 3]   a 1 GiB ciphertext pulled worker to worker between two hosts over
                                     the data port (mTLS), beside plain TCP, the mTLS ceiling and scp
  ready [--n 8] [--reps 3]           N attested sim workers on two ssh hosts from start to ready, beside
                                     N local sim workers and a bare \`ssh host true\` (run with
                                     SEALFLOW_HOME=$(mktemp -d); sim is not a TEE)
  overhead [--n 100,1000] [--reps 2] [--workers 2]   per-step overhead of trivial steps on sim workers
                                     of two ssh hosts, beside the same workflow on local sim workers
  hybrid [--size 1GB] [--reps 1]     word count over local, ssh and Slurm workers beside local workers
                                     only (also needs slurm-wlm and munge)
Needs root, iproute2 and openssh-server/client (the hosts of test/helpers/hosts.ts).`);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const what = process.argv[2];
if (what === 'transfer') {
  await transferBench(Number(arg('--mib', '1024')), Number(arg('--reps', '3')));
} else if (what === 'ready') {
  await readyBench(Number(arg('--n', '8')), Number(arg('--reps', '3')));
} else if (what === 'overhead') {
  await overheadBench(arg('--n', '100,1000').split(',').map(Number), Number(arg('--reps', '2')), Number(arg('--workers', '2')));
} else if (what === 'hybrid') {
  await hybridBench(arg('--size', '1GB'), Number(arg('--reps', '1')));
} else {
  process.stderr.write('usage: node dist/bench/connectors/main.js transfer [--mib N] [--reps N] | ready [--n N] [--reps N] | overhead [--n N,N] [--reps N] [--workers N] | hybrid [--size 1GB] [--reps N]\n');
  process.exit(2);
}
process.exit(0);
