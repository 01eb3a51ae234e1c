/**
 * The master passphrase: from SEALFLOW_MASTER_PASSPHRASE, else prompted on
 * the terminal (not echoed), else undefined (the caller says what to do).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export const PASSPHRASE_ENV = 'SEALFLOW_MASTER_PASSPHRASE';

export async function masterPassphrase(prompt: string, confirm = false): Promise<string | undefined> {
  const env = process.env[PASSPHRASE_ENV];
  if (env !== undefined && env !== '') return env;
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const first = await ask(prompt);
  if (confirm && (await ask('Confirm passphrase: ')) !== first) return undefined;
  return first;
}

function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
