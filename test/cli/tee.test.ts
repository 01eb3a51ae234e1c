/** `sealflow tee plan`, `sealflow tee measure` and `sealflow policy add-measurement` (docs/tee-platforms.md). */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { REPO, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { loadPolicy } from '../../src/attestation/index.js';
import { policyText } from '../../src/cli/commands/policy.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'sealflow-tee-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const FLOW = path.join(REPO, 'examples', 'dna-alignment', 'flow.yaml');
const PIN = ['--pin', 'c'.repeat(64)];
const noBowtie = needs(['bowtie2']);

describe('sealflow tee plan', () => {
  test('writes the Gramine manifest for the dna-alignment align step, with bowtie2-align-s and its libraries trusted, and the commands', { skip: noBowtie }, async () => {
    const out = path.join(work, 'gramine');
    const r = await runCli(['tee', 'plan', '--platform', 'gramine', '--workflow', FLOW, '--step', 'align', '--out', out, '--input-bytes', '3G', ...PIN]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gramine plan for step align/);
    assert.match(r.stdout, /thread slots \(15 needed: 2 task \+ LibOS helpers \+ executor\)/);
    const m = parseToml(readFileSync(path.join(out, 'sealflow-provisioner.manifest.template'), 'utf8')) as { sgx: { trusted_files: string[]; enclave_size: string } };
    assert.ok(m.sgx.trusted_files.some((f) => f.endsWith('/bowtie2-align-s')));
    assert.ok(m.sgx.trusted_files.some((f) => f.includes('libc.so')));
    assert.equal(m.sgx.enclave_size, '16G');
    assert.match(readFileSync(path.join(out, 'commands.sh'), 'utf8'), /gramine-sgx-sign --manifest sealflow-provisioner\.manifest --output sealflow-provisioner\.manifest\.sgx --key enclave-key\.pem/);
    assert.equal(JSON.parse(readFileSync(path.join(out, 'launch.json'), 'utf8')).pin, 'c'.repeat(64));
  });

  test('never overwrites: a second plan into the same directory is refused and writes nothing', { skip: noBowtie }, async () => {
    const out = path.join(work, 'gramine');
    const before = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
    const r = await runCli(['tee', 'plan', '--platform', 'gramine', '--workflow', FLOW, '--step', 'align', '--out', out, '--edmm', ...PIN]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already holds .*choose an empty directory \(nothing was written\)/);
    assert.deepEqual(readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')), before);
  });

  test('refuses thread slots the step cannot run with, before anything runs, naming the step and the way out', { skip: noBowtie }, async () => {
    const r = await runCli(['tee', 'plan', '--platform', 'occlum', '--workflow', FLOW, '--step', 'align', '--out', path.join(work, 'x'), '--thread-slots', '8', ...PIN]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /flow\.yaml: step align \(occlum\): threadSlots 8 is fewer than the 13 the step needs .*raise threadSlots/);
    assert.equal(existsSync(path.join(work, 'x')), false);
  });

  test('occlum refuses a shell step with the reason', async () => {
    const r = await runCli(['tee', 'plan', '--platform', 'occlum', '--workflow', FLOW, '--step', 'build', '--out', path.join(work, 'y'), ...PIN]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /step build runs its command through a shell .*Occlum cannot fork/);
  });

  test('names the steps and platforms there are when one does not exist', async () => {
    const s = await runCli(['tee', 'plan', '--platform', 'gramine', '--workflow', FLOW, '--step', 'algn', '--out', path.join(work, 'z'), ...PIN]);
    assert.match(s.stderr, /--step algn: .* has no such step.*align/);
    const p = await runCli(['tee', 'plan', '--platform', 'gramin', '--workflow', FLOW, '--step', 'align', '--out', path.join(work, 'z'), ...PIN]);
    assert.match(p.stderr, /--platform gramin: plans exist for gramine, occlum, cvm, sgx-lkl/);
  });

  test('writes the cvm image description: a fixed unit without EnvironmentFile, the initrd contents and the sev-snp-measure command', { skip: noBowtie }, async () => {
    const out = path.join(work, 'cvm');
    const r = await runCli(['tee', 'plan', '--platform', 'cvm', '--workflow', FLOW, '--step', 'align', '--out', out, ...PIN]);
    assert.equal(r.code, 0, r.stderr);
    const unit = readFileSync(path.join(out, 'sealflow-provisioner.service'), 'utf8');
    assert.doesNotMatch(unit, /EnvironmentFile/);
    assert.match(unit, /^ExecStart=\/usr\/bin\/env -i PATH=\/usr\/bin:\/bin HOME=\/scratch LANG=C\.UTF-8 \S+ -- \/opt\/sealflow\/provisioner\.mjs \/opt\/sealflow\/launch\.json$/m);
    assert.match(readFileSync(path.join(out, 'initrd.txt'), 'utf8'), /bowtie2-align-s/);
    assert.match(readFileSync(path.join(out, 'commands.sh'), 'utf8'), /sev-snp-measure --mode snp/);
  });
});

describe('sealflow tee measure and policy add-measurement', () => {
  test('tee measure says plainly it cannot read MRENCLAVE where Gramine or Occlum is not installed', async () => {
    const r = await runCli(['tee', 'measure', '--sigstruct', path.join(work, 'none.sig')], { env: { PATH: '/usr/bin:/bin' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot read MRENCLAVE: gramine-sgx-sigstruct-view is not installed here/);
    const o = await runCli(['tee', 'measure', '--occlum-instance', work], { env: { PATH: '/usr/bin:/bin' } });
    assert.match(o.stderr, /cannot read MRENCLAVE: occlum is not installed here/);
    const both = await runCli(['tee', 'measure'], { env: { PATH: '/usr/bin:/bin' } });
    assert.match(both.stderr, /give exactly one of --sigstruct FILE \(gramine\) or --occlum-instance DIR \(occlum\)/);
  });

  test('adds an SGX MRENCLAVE and an SNP measurement to a policy init wrote, keeping it a loadable policy', async () => {
    const file = path.join(work, 'policy.yaml');
    writeFileSync(file, policyText('d'.repeat(64), 'e'.repeat(96), false));
    const mr = 'AB'.repeat(32);
    const r = await runCli(['policy', 'add-measurement', '--platform', 'sgx', file, mr]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runCli(['policy', 'add-measurement', '--platform', 'sgx', file, mr])).stdout, `${file} already lists it\n`);
    assert.equal((await runCli(['policy', 'add-measurement', '--platform', 'sev-snp', file, '12'.repeat(48)])).code, 0);
    const p = loadPolicy(file);
    assert.deepEqual(p.sgx.mrEnclaves, ['ab'.repeat(32)]);
    assert.deepEqual(p['sev-snp'].measurements, ['12'.repeat(48)]);
    assert.match(readFileSync(file, 'utf8'), /# sealflow attestation policy/, 'comments are kept');
  });

  test('refuses a value that is not a measurement of that platform, leaving the file unchanged', async () => {
    const file = path.join(work, 'policy2.yaml');
    writeFileSync(file, policyText('d'.repeat(64), 'e'.repeat(96), false));
    const before = readFileSync(file, 'utf8');
    const r = await runCli(['policy', 'add-measurement', '--platform', 'sgx', file, 'abc']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /"abc" is not a sgx measurement \(32 bytes of hex\)/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });
});
