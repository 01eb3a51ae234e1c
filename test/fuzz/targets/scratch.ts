/**
 * Fuzz targets of the worker scratch markers (docs/protocol.md §10.8): the
 * owner marker a sweep reads from a directory anyone with the user's rights
 * could have written, and the `/proc/<pid>/stat` line whose start time tells
 * a reused pid. Both must return (a marker or null), never throw.
 */
import { parseScratchOwner, startTimeOfStat } from '../../../src/protocol/scratch.js';
import type { FuzzTarget } from '../target.js';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const never = () => false;

export const targets: FuzzTarget[] = [
  {
    name: 'scratch-owner',
    seeds: () => [text('{"pid":4242,"start":"25083"}'), text('{"pid":1}'), text('[]'), text('{"pid":"1","start":7}')],
    run: (input) => parseScratchOwner(decode(input)),
    isOwnError: never, // it never refuses by throwing
  },
  {
    name: 'proc-stat-start',
    seeds: () => [
      text('15914 (cat) R 15912 15912 10570 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 25083 3133440 389 18446744073709551615 0\n'),
      text('7 (a) b) c) S 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n'),
      text('1 () S'),
    ],
    run: (input) => startTimeOfStat(decode(input)),
    isOwnError: never,
  },
];
