/**
 * The ssh connector's start-time probe of a hardware platform's hostNeeds
 * (src/connectors/ssh/platform-needs.ts): the probe script runs here under
 * `sh` as the host's login shell would run it (the same command string), so
 * what it finds and how the one-line error reads are checked without a host;
 * test/tee/run-occlum.test.ts runs it against an ssh namespace host.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPlatformNeeds } from '../../src/connectors/ssh/platform-needs.js';
import type { SshHost } from '../../src/connectors/ssh/host.js';
import { graminePlatform } from '../../src/tee/gramine/index.js';
import { occlumPlatform } from '../../src/tee/occlum/index.js';
import { nonePlatform } from '../../src/tee/none/index.js';
import { withEnv } from '../helpers/env.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-platform-needs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A host whose login shell is this machine's sh; `commands` counts the probes it ran. */
function localHost(): SshHost & { commands: string[] } {
  const commands: string[] = [];
  const host = {
    commands,
    async runChecked(remote: string): Promise<Buffer> {
      commands.push(remote);
      return execFileSync('sh', ['-c', remote]);
    },
    remoteError: (m: string) => new Error(`deployment "enclaves": host sgx-node: ${m}`),
  };
  return host as unknown as SshHost & { commands: string[] };
}

/** A directory holding executables `names` (the worker's PATH) and a device root with `devices`. */
function layout(names: readonly string[], devices: readonly string[]): { bin: string; root: string } {
  const base = fs.mkdtempSync(path.join(dir, 'l-'));
  const bin = path.join(base, 'bin');
  fs.mkdirSync(bin);
  for (const n of names) fs.writeFileSync(path.join(bin, n), '#!/bin/sh\n', { mode: 0o755 });
  for (const d of devices) {
    fs.mkdirSync(path.dirname(path.join(base, d)), { recursive: true });
    fs.writeFileSync(path.join(base, d), '');
  }
  return { bin, root: base };
}

const withRoot = <T>(root: string, f: () => Promise<T>): Promise<T> => withEnv({ SEALFLOW_DEVICE_ROOT: root }, f);

describe('the ssh connector probes a hardware platform\'s host needs once at start', () => {
  test('a host with the SGX device and gramine-sgx on the worker\'s PATH passes with one probe', async () => {
    const { bin, root } = layout(['gramine-sgx'], ['dev/sgx_enclave']);
    const host = localHost();
    await withRoot(root, () => checkPlatformNeeds(host, { platform: graminePlatform, env: { PATH: `${bin}:/usr/bin:/bin` } }));
    assert.equal(host.commands.length, 1);
  });

  test('a host without gramine-sgx fails in one line naming the deployment, the host, what is missing and what to do', async () => {
    const { bin, root } = layout([], ['dev/sgx_enclave']);
    await assert.rejects(withRoot(root, () => checkPlatformNeeds(localHost(), { platform: graminePlatform, env: { PATH: bin } })), (e: Error) => {
      assert.equal(e.message, `deployment "enclaves": host sgx-node: lacks what platform gramine needs there: gramine-sgx on the worker's PATH — install it on that host (or set the run's PATH to where it is), or bind the deployment to a host that has it; 'sealflow check' lists a host's needs`);
      return true;
    });
  });

  test('a host without the SGX device, occlum or tar names each of them', async () => {
    const { bin, root } = layout([], []);
    await assert.rejects(withRoot(root, () => checkPlatformNeeds(localHost(), { platform: occlumPlatform, env: { PATH: bin } })), /lacks what platform occlum needs there: \/dev\/sgx_enclave \(the SGX driver\), occlum on the worker's PATH, tar on the worker's PATH — /);
  });

  test('names with spaces, quotes and newlines reach the probe as data, never as shell code', async () => {
    const { bin, root } = layout(['occlum', 'tar'], ['dev/sgx_enclave']);
    const odd = path.join(root, "it's a \"dir\"\n$(touch pwned)");
    fs.mkdirSync(path.join(odd, 'dev'), { recursive: true });
    fs.writeFileSync(path.join(odd, 'dev', 'sgx_enclave'), '');
    await withRoot(odd, () => checkPlatformNeeds(localHost(), { platform: occlumPlatform, env: { PATH: `${bin}:/usr/bin:/bin` } }));
    assert.equal(fs.existsSync(path.join(process.cwd(), 'pwned')), false);
  });

  test('platforms that are not TEEs are not probed', async () => {
    const host = localHost();
    await checkPlatformNeeds(host, { platform: nonePlatform, env: {} });
    assert.equal(host.commands.length, 0);
  });
});
