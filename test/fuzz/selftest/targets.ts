/**
 * Deliberately broken targets for the runner's own test (runner.test.ts);
 * they live outside targets/ so that `npm run fuzz` never loads them. Each
 * misbehaves only on inputs that start with its trigger byte, which the
 * seeds do: the runner must report the seed itself.
 */
import type { FuzzTarget } from '../target.js';

class Own extends Error {}
const isOwnError = (e: unknown): boolean => e instanceof Own;
const seeds = (trigger: string) => (): Uint8Array[] => [new TextEncoder().encode('fine'), new TextEncoder().encode(`${trigger} and more`)];
const refuseOthers = (b: Uint8Array): void => {
  if (b[0] !== 0x66) throw new Own('refused');
};

export const targets: FuzzTarget[] = [
  {
    name: 'selftest-foreign',
    seeds: seeds('T'),
    run: (b) => {
      if (b[0] === 0x54) throw new TypeError('not one of ours');
      refuseOthers(b);
    },
    isOwnError,
  },
  {
    name: 'selftest-loop',
    seeds: seeds('L'),
    hangMs: 200,
    run: (b) => {
      // A synchronous endless loop: only killing the process ends it.
      if (b[0] === 0x4c) for (;;);
      refuseOthers(b);
    },
    isOwnError,
  },
  {
    name: 'selftest-pending',
    seeds: seeds('P'),
    hangMs: 200,
    run: (b) => (b[0] === 0x50 ? new Promise(() => {}) : refuseOthers(b)),
    isOwnError,
  },
  {
    name: 'selftest-crash',
    seeds: seeds('C'),
    run: (b) => {
      if (b[0] === 0x43) process.kill(process.pid, 'SIGKILL');
      refuseOthers(b);
    },
    isOwnError,
  },
];
