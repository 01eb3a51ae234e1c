import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { detectCapabilities, encryptionSupport, launchPlatform, MATRIX, planMatrix, type Capabilities } from '../../src/bench/matrix.js';
import { probeRunOptions } from '../../src/cli/commands/bench.js';

const noHardware = { sgx: false, 'sev-snp': false, tdx: false };

describe('the benchmark configuration matrix', () => {
  test('holds the native baseline, none, sim, and SecDATAVIEW’s eight SGX / SEV / hybrid configurations', () => {
    const ids = MATRIX.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const id of ['native', 'none-plain', 'none-enc', 'sim-enc']) assert.ok(ids.includes(id), id);
    const paper = new Set(MATRIX.flatMap((c) => (c.paper ? [c.paper] : [])));
    assert.equal(paper.size, 8);
    assert.ok(MATRIX.every((c) => !c.teeActive || ['sgx-gramine', 'sgx-occlum', 'sev-snp', 'tdx', 'hybrid'].includes(c.platform)), 'only hardware platforms are TEE-active');
  });

  test('marks every configuration that needs hardware this machine lacks as not run, naming the hardware', () => {
    const planned = planMatrix(detectCapabilities(probeRunOptions()));
    const hasSgx = existsSync('/dev/sgx_enclave');
    const hasSev = existsSync('/dev/kvm') && existsSync('/dev/sev'); // cvm's hypervisor side (docs/tee-platforms.md "cvm")
    for (const p of planned) {
      if (['sgx-gramine', 'sgx-occlum'].includes(p.config.platform) && !hasSgx) assert.match(p.notRun ?? '', /^not run: no SGX/, p.config.id);
      if (p.config.platform === 'sev-snp' && !hasSev) assert.match(p.notRun ?? '', /no SEV-SNP/, p.config.id);
      if (p.config.platform === 'hybrid' && !(hasSgx && hasSev)) assert.match(p.notRun ?? '', /^not run: no /, p.config.id);
    }
    const byId = new Map(planned.map((p) => [p.config.id, p.notRun]));
    assert.equal(byId.get('native'), null);
    assert.equal(byId.get('none-plain'), null, 'this build runs sealflow on platform none without encryption');
  });

  test('detects sim from the platforms this build registers and `sealflow run --platform` accepts, and encryption from `--no-encrypt`', () => {
    const caps = detectCapabilities(probeRunOptions());
    assert.ok(caps.platforms.has('sim') && caps.runPlatformOption.has('sim') && caps.runPlatformOption.has('none'));
    assert.ok(caps.encrypting.has('sim') && !caps.plain.has('sim'), 'sim (attested) always encrypts');
    assert.ok(caps.plain.has('none'), 'none runs in plain (by default, or with --no-encrypt)');
    assert.equal(caps.encrypting.has('none'), caps.noEncryptOption, 'none encrypts exactly when the build has --no-encrypt (encryption on by default)');
    const byId = new Map(planMatrix(caps).map((p) => [p.config.id, p.notRun]));
    assert.equal(byId.get('sim-enc'), null, 'sim with encryption runs in this build');
    assert.equal(byId.get('none-plain'), null);
    if (caps.noEncryptOption) assert.equal(byId.get('none-enc'), null);
    else assert.equal(byId.get('none-enc'), 'not run: this build encrypts only on attested/sim platforms (sim), not on none');
    const sim = MATRIX.find((c) => c.id === 'sim-enc')!;
    assert.ok(sim.encryption && !sim.teeActive && /not a TEE/.test(sim.label), 'sim is labelled as not a TEE');
    assert.equal(launchPlatform(sim), 'sim');
  });

  test('with `--no-encrypt` in the build, none runs both encrypted and plain, and sim only encrypted', () => {
    const caps: Capabilities = { hardware: noHardware, platforms: new Set(['none', 'sim']), runPlatformOption: new Set(['none', 'sim']), ...encryptionSupport(new Set(['none', 'sim']), true) };
    const ran = planMatrix(caps).filter((p) => p.notRun === null).map((p) => p.config.id);
    assert.deepEqual(ran, ['native', 'none-plain', 'none-enc', 'sim-enc']);
    const old: Capabilities = { ...caps, ...encryptionSupport(new Set(['none', 'sim']), false) };
    assert.deepEqual(planMatrix(old).filter((p) => p.notRun === null).map((p) => p.config.id), ['native', 'none-plain', 'sim-enc']);
  });

  test('runs a software configuration only when the build supports it, and says what is missing otherwise', () => {
    const bare: Capabilities = { hardware: noHardware, platforms: new Set(['none']), runPlatformOption: new Set(), encrypting: new Set(), plain: new Set(['none']), noEncryptOption: false };
    const byId = new Map(planMatrix(bare).map((p) => [p.config.id, p.notRun]));
    assert.equal(byId.get('none-plain'), null);
    assert.equal(byId.get('none-enc'), 'not run: this build of sealflow does not encrypt');
    assert.equal(byId.get('sim-enc'), 'not run: platform sim is not implemented in this build');
    const full: Capabilities = { hardware: noHardware, platforms: new Set(['none', 'sim']), runPlatformOption: new Set(['none', 'sim']), encrypting: new Set(['sim']), plain: new Set(['none']), noEncryptOption: false };
    const ran = planMatrix(full).filter((p) => p.notRun === null).map((p) => p.config.id);
    assert.deepEqual(ran, ['native', 'none-plain', 'sim-enc']);
    const allEncrypt: Capabilities = { ...full, encrypting: new Set(['none', 'sim']), plain: new Set() };
    assert.match(new Map(planMatrix(allEncrypt).map((p) => [p.config.id, p.notRun])).get('none-plain') ?? '', /always encrypts on platform none/);
  });

  test('with hardware present but no launcher for it, a TEE configuration is not run for want of the platform', () => {
    const caps: Capabilities = { hardware: { sgx: true, 'sev-snp': true, tdx: true }, platforms: new Set(['none', 'sim']), runPlatformOption: new Set(['none', 'sim']), encrypting: new Set(['sim']), plain: new Set(['none']), noEncryptOption: false };
    const byId = new Map(planMatrix(caps).map((p) => [p.config.id, p.notRun]));
    assert.equal(byId.get('sgx-inactive-plain'), null, 'TEE inactive on SGX hardware runs with platform none');
    assert.match(byId.get('sgx-inactive-enc') ?? '', /encrypts only on attested\/sim platforms/);
    assert.match(byId.get('sgx-gramine-enc') ?? '', /platform gramine is not implemented/);
    assert.match(byId.get('sev-enc') ?? '', /platform cvm is not implemented/);
    assert.match(byId.get('hybrid-enc') ?? '', /platform gramine is not implemented in this build; platform cvm is not implemented/);
  });
});
