/**
 * The Bowtie2 study's configurations (seeds: bowtie2-align-s at 1, 2, 4, 8,
 * 16 and 32 threads, EDMM off and on) for Gramine and Occlum: each generated
 * file equals its golden copy in test/tee/golden/, parses back (TOML for the
 * manifest, JSON for Occlum.json) and satisfies the sizing rules.
 * SEALFLOW_UPDATE_GOLDEN=1 rewrites the golden copies.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { gramineLaunchPlan } from '../../src/tee/gramine/index.js';
import { occlumLaunchPlan } from '../../src/tee/occlum/index.js';
import { EXECUTOR_THREADS, LIBOS_HELPER_THREADS, MARGIN, parseSize } from '../../src/tee/sizing.js';
import { REPO } from '../helpers/cli.js';
import { alignStep, planRequest } from './fixtures.js';

const GOLDEN = path.join(REPO, 'test', 'tee', 'golden');
const THREADS = [1, 2, 4, 8, 16, 32];

function golden(name: string, text: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env['SEALFLOW_UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${name} differs from its golden copy (SEALFLOW_UPDATE_GOLDEN=1 rewrites it)`);
}

describe('the Bowtie2 study configurations', () => {
  for (const threads of THREADS) {
    for (const edmm of [false, true]) {
      const tag = `t${threads}-edmm-${edmm ? 'on' : 'off'}`;
      test(`gramine, bowtie2-align-s at ${threads} threads, EDMM ${edmm ? 'on' : 'off'}: the manifest parses back and follows the sizing rules`, () => {
        const plan = gramineLaunchPlan(planRequest(alignStep(threads, { memory: 2 * 2 ** 30 }), { overrides: { edmm } }));
        const text = plan.files['sealflow-provisioner.manifest.template'] as string;
        golden(`gramine-${tag}.manifest.template`, text);
        const m = parseToml(text) as { sgx: Record<string, unknown>; loader: Record<string, unknown>; libos: Record<string, unknown>; fs: { mounts: { path: string; type?: string }[] } };
        const need = threads + LIBOS_HELPER_THREADS.gramine + EXECUTOR_THREADS;
        assert.ok((m.sgx['max_threads'] as number) >= need, `max_threads covers ${need}`);
        const size = parseSize(m.sgx['enclave_size'], 'sgx.enclave_size');
        assert.equal(Math.log2(size) % 1, 0, 'a power of two');
        assert.ok(size >= (plan.sizing?.footprint ?? Infinity) * MARGIN);
        assert.equal(m.sgx['edmm_enable'], edmm);
        assert.equal(m.sgx['debug'], false);
        assert.equal(m.sgx['remote_attestation'], 'dcap');
        assert.equal(m.sgx['file_check_policy'], 'strict');
        assert.deepEqual(m.loader['argv'], ['/usr/bin/node', '/opt/sealflow/provisioner.mjs', '/opt/sealflow/launch.json']);
        assert.deepEqual(Object.keys(m.loader['env'] as object).sort(), ['HOME', 'LANG', 'LD_LIBRARY_PATH', 'PATH']);
        for (const v of Object.values(m.loader['env'] as object)) assert.equal(typeof v, 'string', 'no passthrough');
        const trusted = m.sgx['trusted_files'] as string[];
        for (const f of ['/usr/bin/node', '/usr/bin/bowtie2-align-s', '/lib/x86_64-linux-gnu/libz.so.1', '/opt/sealflow/provisioner.mjs', '/opt/sealflow/launch.json']) assert.ok(trusted.includes(`file:${f}`), `${f} is trusted`);
        assert.deepEqual(m.sgx['allowed_files'], ['file:executor.bundle', 'file:unmeasured.json']);
        assert.ok(m.fs.mounts.some((x) => x.path === '/scratch' && x.type === 'tmpfs'));
        const insecure = text.split('\n').filter((l) => /insecure__/.test(l) && !l.startsWith('#'));
        assert.deepEqual(insecure, ['sys.insecure__allow_eventfd = true'], 'only the documented insecure option');
      });

      test(`occlum, bowtie2-align-s at ${threads} threads, EDMM ${edmm ? 'on' : 'off'}: Occlum.json parses back and follows the sizing rules`, () => {
        const plan = occlumLaunchPlan(planRequest(alignStep(threads, { memory: 2 * 2 ** 30 }), { overrides: { edmm } }));
        const text = plan.files['Occlum.json'] as string;
        golden(`occlum-${tag}.json`, text);
        const j = JSON.parse(text) as { resource_limits: Record<string, unknown>; feature: { enable_edmm: boolean }; metadata: { debuggable: boolean }; env: { default: string[]; untrusted: string[] } };
        const r = j.resource_limits;
        const need = threads + LIBOS_HELPER_THREADS.occlum + EXECUTOR_THREADS;
        assert.ok((r['max_num_of_threads'] as number) >= need);
        assert.equal(j.feature.enable_edmm, edmm);
        assert.equal(j.metadata.debuggable, false);
        assert.deepEqual(j.env.untrusted, []);
        const max = parseSize(String(edmm ? r['user_space_max_size'] : r['user_space_size']).replace(/B$/, ''), 'user space');
        assert.equal(Math.log2(max) % 1, 0);
        assert.ok(max >= (plan.sizing?.footprint ?? Infinity) * MARGIN);
        if (edmm) {
          assert.equal(r['init_num_of_threads'], r['max_num_of_threads'], 'every needed slot is preallocated (the study\'s 32-thread EDMM penalty)');
          assert.ok(parseSize(String(r['user_space_size']).replace(/B$/, ''), 'initial') < max);
        } else assert.equal(r['user_space_max_size'], undefined);
        assert.match(plan.build.join('\n'), edmm ? /ENABLE_EDMM=Y occlum build/ : /&& occlum build/);
      });
    }
  }
});
