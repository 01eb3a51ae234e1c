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
