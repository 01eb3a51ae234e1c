/**
 * Fuzz targets of the ssh transport (src/connectors/ssh/): the POSIX shell
 * quoting of every remote argument (what the remote shell reads back must be
 * the argument, byte for byte), and the readers of what the host and the
 * local OpenSSH tools print (`ssh -G`, `node --version`, fingerprints, the
 * pgid line, the upload check, the sweep report, paths, ssh's stderr). The
 * readers never throw; the quoting refuses only NUL, with an InputError.
 * `ssh-collect-stream`: the frames a host returns at the end of an attempt
 * (collect.ts), fed in one piece and byte by byte (the same events both
 * ways); refusals are CollectErrors.
 */
import { InputError } from '../../../src/errors.js';
import { shCommand, shQuote } from '../../../src/connectors/ssh/quote.js';
import {
  parseFingerprints,
  parseNodeVersion,
  parsePgidLine,
  parseRemotePath,
  parseSshG,
  parseSweep,
  parseUploadCheck,
} from '../../../src/connectors/ssh/parse.js';
import { classifySshFailure } from '../../../src/connectors/ssh/errors.js';
import { parseProbe } from '../../../src/connectors/ssh/check.js';
import { compileSshOptions } from '../../../src/connectors/ssh/options.js';
import { CollectError, CollectParser } from '../../../src/connectors/ssh/collect.js';
import type { FuzzTarget } from '../target.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const dec = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/**
 * A reference reader of the words shQuote writes (POSIX.1-2017 XCU §2.2:
 * single quotes, backslash outside quotes, unquoted characters; a blank
 * ends a word). Throws on anything else: then the quoting is wrong.
 */
export function readWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in ${JSON.stringify(line)}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('trailing backslash');
      cur = (cur ?? '') + line[++i];
    } else if (/[A-Za-z0-9_./:=@%+,-]/.test(c)) {
      cur = (cur ?? '') + c;
    } else {
      throw new Error(`unquoted special character ${JSON.stringify(c)} in ${JSON.stringify(line)}`);
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

const SSH_G = 'host w1\nuser root\nhostname 10.0.0.5\nport 2222\nhostkeyalias none\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\n';
const STDERR = [
  'No ED25519 host key is known for 10.0.0.5 and you have requested strict checking.\r\nHost key verification failed.\r\n',
  '@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:PKs0sgSC/tcuXf1qjuuLjXPMrir0nkW/NeyiIKTh1Bs.\r\nOffending ED25519 key in /tmp/kh:1\r\n',
  'root@10.0.0.5: Permission denied (publickey).\r\n',
  'ssh: connect to host 10.0.0.5 port 22: No route to host\r\n',
  'kex_exchange_identification: read: Connection reset by peer\r\n',
];

/** The events of `input` through the collect parser, fed whole or in pieces of `step` bytes; the bytes of every file joined. */
function collectEvents(input: Uint8Array, step: number): string {
  const p = new CollectParser('h');
  const out: string[] = [];
  for (let i = 0; i < input.length; i += step) {
    for (const e of p.push(input.subarray(i, i + step))) out.push(e.type === 'file' ? `F${e.name}:${e.size}` : e.type === 'data' ? Buffer.from(e.bytes).toString('hex') : 'E');
  }
  p.end();
  // Data events are hex, joined without separators: the same string however the bytes were split.
  return out.join('');
}

const frames = (...fs: [string, string][]) => enc(fs.map(([n, b]) => `${n}\0${Buffer.byteLength(b)}\0${b}`).join(''));

export const targets: FuzzTarget[] = [
  {
    name: 'ssh-collect-stream',
    seeds: () => [frames(['l/a', 'age-encryption.org/v1\n...']), frames(['d/x.age', 'abc'], ['d/sub/y.age', ''], ['l/b', 'log']), enc(''), frames(['d/../etc/passwd', 'x'])],
    run: (input) => {
      const whole = collectEvents(input, input.length || 1);
      let bytewise: string;
      try {
        bytewise = collectEvents(input, 1);
      } catch (e) {
        throw new Error(`refused byte by byte but accepted whole: ${String(e)}`);
      }
      if (whole !== bytewise) throw new Error('the parser gives other events byte by byte');
      return whole;
    },
    isOwnError: (e) => e instanceof CollectError,
  },
  {
    name: 'ssh-shell-quote',
    seeds: () => [enc("it's \"odd\" $HOME `id`; | & *\n\t\\"), enc(''), enc("'''"), enc('plain-word_1.2:3=4@5%6+7,8'), enc('ünïcødé 🙂 \u00a0')],
    run: (input) => {
      const s = dec(input);
      // One argument, and the same split into several: each must come back exactly.
      const words = [s, ...s.split(/(?=[\s'"\\])/)];
      const back = readWords(shCommand(words));
      if (back.length !== words.length || back.some((w, i) => w !== words[i])) {
        throw new Error(`quoting did not round-trip: ${JSON.stringify(words)} → ${JSON.stringify(back)}`);
      }
      return shQuote(s);
    },
    isOwnError: (e) => e instanceof InputError,
  },
  {
    name: 'ssh-host-output',
    seeds: () => [
      enc(SSH_G),
      enc('v20.11.1\n'),
      enc('# Host [10.0.0.5]:2222 found: line 1\n[10.0.0.5]:2222 ED25519 SHA256:PKs0sgSC/tcuXf1qjuuLjXPMrir0nkW/NeyiIKTh1Bs\n'),
      enc('sealflow-pgid 4242'),
      enc('3145745\n' + 'a'.repeat(64) + '  -\n'),
      enc('removed 0123456789abcdef01234567\nkept 0123456789abcdef01234568 locked\nkept zz live\n'),
      enc('/root/.sealflow-worker/0123456789abcdef01234567\n'),
      enc(`ok\t-\t-\nmissing\nok\t${'b'.repeat(64)}\t/usr/bin/wc\ndir\twritable\t1048576\n`),
    ],
    run: (input) => {
      const s = dec(input);
      return [parseSshG(s), parseNodeVersion(s), parseFingerprints(s), parsePgidLine(s), parseUploadCheck(s), parseSweep(s), parseRemotePath(s), parseProbe(s, 3)];
    },
    isOwnError: () => false, // readers of host output never throw
  },
  {
    name: 'ssh-stderr',
    seeds: () => STDERR.map(enc),
    run: (input) => {
      const e = classifySshFailure({ deployment: 'd', host: 'h:22', user: 'root', knownHosts: '/kh', connectTimeout: 5 }, dec(input));
      if (e.message.includes('\n')) throw new Error(`not one line: ${JSON.stringify(e.message)}`);
      return e;
    },
    isOwnError: () => false, // it classifies whatever ssh printed; it never throws
  },
  {
    // A deployment's options as sealflow.yaml gives them (after YAML): `host` or `hosts`, numbers, flags.
    name: 'ssh-deployment-options',
    seeds: () =>
      [
        { host: 'worker-a' },
        { hosts: ['10.0.0.5', '10.0.0.6', 'alias-c'], user: 'alice', port: 2222, connectTimeout: 5 },
        { host: 'h', aliveInterval: 1, aliveCountMax: 3, controlPersist: 60, nodePath: '/usr/bin/node', baseDir: '/srv/work', acceptNewHostKey: true },
        { hosts: [], host: 'h' },
      ].map((o) => enc(JSON.stringify(o))),
    run: (input) => {
      let raw: unknown;
      try {
        raw = JSON.parse(dec(input));
      } catch {
        return null; // not JSON: the YAML loader refuses it before the options are read
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
      const o = compileSshOptions('d', raw as Record<string, unknown>);
      if (o.hosts[0] !== o.host || o.hosts.length < 1 || new Set(o.hosts).size !== o.hosts.length) throw new Error(`inconsistent hosts: ${JSON.stringify(o.hosts)}`);
      return o;
    },
    isOwnError: (e) => e instanceof InputError,
  },
];
