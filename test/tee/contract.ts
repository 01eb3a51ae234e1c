/**
 * The contract every TEE platform meets (DESIGN.md "Platforms", "What the
 * measurement covers"; docs/tee-platforms.md). Each platform's test file calls
 * `runPlatformContract` with what it expects; hostile environments and
 * arguments are the same for all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TeeRequirement } from '../../src/workflow/model.js';
import { ENV_ALLOW_LIST, type LaunchCommand, type TeePlatform } from '../../src/tee/platform.js';
import { platformByName } from '../../src/tee/index.js';
import type { LaunchPlan, PlanRequest } from '../../src/tee/plan.js';
import { alignStep, BENIGN, HOSTILE, HOSTILE_ARGS, HOSTILE_ENV, planRequest } from './fixtures.js';

export interface PlatformExpectations {
  readonly platform: TeePlatform;
  /** The tee requirements it satisfies without simulation allowed. */
  readonly satisfies: readonly TeeRequirement[];
  /** Its launch command's program (`node` for none/sim, the LibOS/VM launcher otherwise). */
  readonly command: string;
  /** The generator of its files, for the hardware platforms. */
  readonly plan?: (req: PlanRequest) => LaunchPlan;
  /** File names the plan must write. */
  readonly files?: readonly string[];
  /** A step it must refuse although it satisfies the step's tee requirement, and a fragment of the reason. */
  readonly refusesAlso?: { readonly step: Parameters<TeePlatform['refuses']>[0]; readonly reason: RegExp };
}

const ALL: readonly TeeRequirement[] = ['none', 'any', 'sgx', 'sev-snp', 'tdx'];

/** What the host could have changed in a launch command: anything but the unmeasured values' own positions. */
function fixedPart(p: TeePlatform, c: LaunchCommand): unknown {
  if (p.isTee) return { command: c.command, script: c.args.slice(0, 2), cwd: c.cwd }; // sh -c <fixed script> <name> <data...>
  return { command: c.command, head: c.args.slice(0, 2), cwd: c.cwd }; // node -- <program> <data...>
}

export function runPlatformContract(e: PlatformExpectations): void {
  const p = e.platform;
  describe(`platform ${p.name} (the TEE platform contract)`, () => {
    test('is registered under its name, so a deployment can select it', () => {
      assert.equal(platformByName(p.name), platformByName(p.name));
      assert.equal(platformByName(p.name)?.name, p.name);
    });

    test('satisfies exactly the tee requirements it provides, and sim only where the policy allows simulation', () => {
      for (const req of ALL) assert.equal(p.satisfies(req, { allowSimulation: false }), e.satisfies.includes(req), `${p.name} / ${req}`);
    });

    test('refuses a step whose tee requirement it does not provide, naming the step and what to do', () => {
      const missing = ALL.find((r) => !e.satisfies.includes(r));
      if (missing === undefined) return;
      const why = p.refuses(alignStep(2, { tee: missing }), { allowSimulation: false });
      assert.ok(why !== null && why.includes('step align') && why.includes(`tee: ${missing}`) && /bind it to a deployment/.test(why), String(why));
      assert.equal(p.refuses(alignStep(2, { tee: 'none' }), { allowSimulation: false }), null);
    });

    if (e.refusesAlso) {
      const r = e.refusesAlso;
      test('refuses a step it cannot run on this platform, with the reason', () => {
        assert.match(p.refuses(r.step, { allowSimulation: false }) ?? '', r.reason);
      });
    }

    if (p.name !== 'sim') {
      test(`launches with ${e.command}, in the worker's directory`, () => {
        const c = p.launch(BENIGN);
        assert.equal(p.isTee ? c.args.join(' ').includes(e.command) : c.command === e.command, true, JSON.stringify(c));
        assert.equal(c.cwd, BENIGN.workDir);
      });

      test('gives the launched program only the environment allow-list, whatever the host sets', () => {
        const c = p.launch(HOSTILE);
        for (const k of Object.keys(c.env)) assert.ok((ENV_ALLOW_LIST as readonly string[]).includes(k), `${k} is not on the allow-list`);
        for (const k of Object.keys(HOSTILE_ENV)) assert.equal(c.env[k], undefined, `${k} reached the launched program`);
        assert.deepEqual(c.env, p.launch(BENIGN).env);
      });

      test('hostile arguments change nothing but the unmeasured values, and never become node options', () => {
        const good = p.launch(BENIGN);
        const bad = p.launch(HOSTILE);
        assert.deepEqual(fixedPart(p, bad), fixedPart(p, good));
        if (!p.isTee) assert.equal(bad.args[0], '--', 'node stops reading its options before the program');
        else for (const a of HOSTILE_ARGS) assert.ok(!bad.args.slice(0, 2).includes(a) && !bad.args[1]?.includes(` ${a} `), `${a} reached the fixed command`);
      });
    }

    if (e.plan) {
      const plan = e.plan;
      test('plans the generated files and the owner-side and host commands for a step', () => {
        const pl = plan(planRequest(alignStep(8)));
        assert.equal(pl.platform, p.name);
        for (const f of e.files ?? []) assert.ok(typeof pl.files[f] === 'string' && pl.files[f].length > 0, `${f} is generated`);
        assert.ok(pl.build.length > 0 && pl.run.length > 0);
        for (const text of Object.values(pl.files)) for (const k of Object.keys(HOSTILE_ENV)) assert.ok(!text.includes(`${k}=`) || k === 'PATH', `${k} is set in a generated file`);
      });
    }
  });
}
