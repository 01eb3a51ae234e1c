/** Runs `fn` with SEALFLOW_HOME set to a fresh directory (a master created on first use, no passphrase), restored and removed afterwards. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function withMasterHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-home-'));
  const saved = [process.env['SEALFLOW_HOME'], process.env['SEALFLOW_MASTER_PASSPHRASE']] as const;
  process.env['SEALFLOW_HOME'] = home;
  process.env['SEALFLOW_MASTER_PASSPHRASE'] = '';
  try {
    return await fn(home);
  } finally {
    if (saved[0] === undefined) delete process.env['SEALFLOW_HOME'];
    else process.env['SEALFLOW_HOME'] = saved[0];
    if (saved[1] === undefined) delete process.env['SEALFLOW_MASTER_PASSPHRASE'];
    else process.env['SEALFLOW_MASTER_PASSPHRASE'] = saved[1];
    fs.rmSync(home, { recursive: true, force: true });
  }
}
