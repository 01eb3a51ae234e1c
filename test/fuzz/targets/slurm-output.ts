/**
 * Fuzz targets: what the Slurm client commands print, as the slurm transport
 * reads it (src/connectors/slurm/parse.ts) — `sbatch --parsable` and
 * `squeue -o '%i|%T|%R|%N'`, `sinfo -N -o` (src/connectors/slurm/check.ts) — and the deployment options from sealflow.yaml
 * (src/connectors/slurm/options.ts). Output from a login node or a site's
 * wrapper is outside input: accepted in the exact shape, else refused with
 * SlurmOutputError (options: InputError).
 */
import { InputError } from '../../../src/errors.js';
import { compileSlurmDeployment } from '../../../src/connectors/slurm/deployment.js';
import { compileSlurmOptions } from '../../../src/connectors/slurm/options.js';
import { parseSbatchParsable, parseSqueue, SlurmOutputError } from '../../../src/connectors/slurm/parse.js';
import { checkAgainst, parseSinfo } from '../../../src/connectors/slurm/check.js';
import type { FuzzTarget } from '../target.js';

const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const decode = (b: Uint8Array) => Buffer.from(b).toString('utf8');

export const targets: FuzzTarget[] = [
  {
    name: 'slurm-sbatch-parsable',
    seeds: () => [text('42\n'), text('1234567;cluster_a\n'), text('7')],
    run: (input) => parseSbatchParsable(decode(input)),
    isOwnError: (e) => e instanceof SlurmOutputError,
  },
  {
    name: 'slurm-squeue',
    seeds: () => [
      text('5|PENDING|(Resources)|\n6|RUNNING|n1|n1\n7|CANCELLED||\n'),
      text('8|PENDING|(ReqNodeNotAvail, UNAVAILABLE_NODES:n2)|\n9|COMPLETING|n[1-2]|n[1-2]\n'),
      text('10|SUSPENDED|n2|n2\n11|REQUEUE_HOLD|(JobHeldAdmin)|\n'),
    ],
    run: (input) => parseSqueue(decode(input)),
    isOwnError: (e) => e instanceof SlurmOutputError,
  },
  {
    name: 'slurm-sinfo',
    seeds: () => [
      text('n1|batch|batch*|up|1-00:00:00|8|16000\nn2|batch|batch*|up|10:00|16|64000\n'),
      text('g1|gpu|gpu|down|infinite|4|8000\ng2|gpu|gpu|drain|n/a|4|8000\n'),
    ],
    // Parsed, then checked as sealflow check would: neither may throw anything but the parser's refusal.
    run: (input) => checkAgainst(parseSinfo(decode(input)), { partition: 'batch', timeLimit: '2:00:00', threads: 8, memory: 1024 ** 3 }),
    isOwnError: (e) => e instanceof SlurmOutputError,
  },
  {
    name: 'slurm-deployment-options',
    seeds: () => [
      text(JSON.stringify({ partition: 'batch', account: 'lab', qos: 'normal', timeLimit: '1-12:30:00', nodelist: 'n[1-4],gpu2', threads: 4, memory: '1.5GiB', slurmConf: '/etc/slurm/slurm.conf' })),
      text(JSON.stringify({ timeLimit: '90', memory: 1048576 })),
      text(JSON.stringify({ partition: 'batch', workDir: '/scratch/sf', masterAddress: '10.0.0.1', nodePath: '/usr/bin/node' })),
      // Through a login node: the ssh connector's options under login.
      text(JSON.stringify({ partition: 'batch', workDir: '/scratch/sf', login: { host: 'login.example', user: 'me', port: 2222, connectTimeout: 5, acceptNewHostKey: false } })),
    ],
    run: (input) => {
      let raw: unknown;
      try {
        raw = JSON.parse(decode(input));
      } catch {
        return undefined; // not JSON: nothing reaches the options
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
      // The connector's whole option set (workDir, masterAddress, nodePath, login) around the transport's.
      return 'workDir' in raw ? compileSlurmDeployment('fuzz', raw as Record<string, unknown>) : compileSlurmOptions('fuzz', raw as Record<string, unknown>);
    },
    isOwnError: (e) => e instanceof InputError,
  },
];
