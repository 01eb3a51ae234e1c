/**
 * Placement (DESIGN.md, Layout: the engine places steps on deployments):
 * which deployment runs each step. A step goes to its first matching binding
 * (by step id, or by `tee` requirement), else to the default deployment; the
 * deployment's platform must satisfy the step's `tee` requirement by the
 * platform's own rule (`TeePlatform.satisfies`, src/tee/) — there is no other.
 */
import { InputError } from '../errors.js';
import { platformByName } from '../tee/index.js';
import type { SatisfyOptions } from '../tee/platform.js';
import { TEE_REQUIREMENTS } from '../workflow/load-step.js';
import type { Step, TeeRequirement, Workflow } from '../workflow/model.js';
import { displayPath, inputError, where } from '../workflow/yaml-source.js';
import type { Binding, Deployment, PlatformKind, RunConfig } from './config/run-config.js';

/** Where each step of one workflow runs under one run configuration. */
export interface Placement {
  /** Step id -> deployment id, for every step of the workflow. */
  readonly byStep: ReadonlyMap<string, string>;
  /** The deployment id `step` runs on. */
  readonly deploymentFor: (step: Step) => string;
  /** The deployments that take at least one step, in the run configuration's order. */
  readonly used: readonly Deployment[];
}

/**
 * What placement assumes of the policy: `sim` stands for any TEE only because
 * the local policy allows simulation (and every run says so); a policy file
 * that forbids it is enforced where evidence is judged (the broker).
 */
const PLACEMENT_SATISFY: SatisfyOptions = { allowSimulation: true };

/** Whether a worker of `platform` may run a step requiring `tee` (the platform's rule). */
export function platformSatisfies(platform: PlatformKind, tee: TeeRequirement): boolean {
  return platformByName(platform)?.satisfies(tee, PLACEMENT_SATISFY) === true;
}

/** The `tee` requirements `platform` satisfies, in the order of docs/workflow-format.md. */
export function satisfiedRequirements(platform: PlatformKind): TeeRequirement[] {
  return TEE_REQUIREMENTS.filter((t) => platformSatisfies(platform, t));
}

export function bindingMatches(b: Binding, step: Step): boolean {
  return 'step' in b.match ? b.match.step === step.id : b.match.tee === step.requirements.tee;
}

/** The binding that places `step`, if any (first match wins). */
export function bindingFor(config: RunConfig, step: Step): Binding | undefined {
  return config.bindings.find((b) => bindingMatches(b, step));
}

/** The deployment `step` runs on: its first matching binding's, else the default. */
export function deploymentFor(config: RunConfig, step: Step): Deployment {
  const id = bindingFor(config, step)?.deployment ?? config.defaultDeployment;
  const d = config.deployments.find((x) => x.id === id);
  if (d === undefined) throw new Error(`run configuration names unknown deployment '${id}' (loadRunConfig should have refused it)`);
  return d;
}

/**
 * The planner: places every step of `workflow` on a deployment of `config`.
 * Throws an InputError at the step's `tee:` (file:line) when the deployment's
 * platform does not satisfy the step's requirement.
 */
export function place(workflow: Workflow, config: RunConfig): Placement {
  const byStep = new Map<string, string>();
  for (const step of workflow.steps) {
    const d = deploymentFor(config, step);
    if (!platformSatisfies(d.platform, step.requirements.tee)) {
      const b = bindingFor(config, step);
      const via = b !== undefined ? `the binding at ${where(b.loc)}` : config.file === undefined ? 'the built-in default run configuration (there is no sealflow.yaml)' : `the default deployment of ${displayPath(config.file)}`;
      const provides = satisfiedRequirements(d.platform).join(', ');
      throw inputError(step.requirements.loc ?? step.loc, `step "${step.id}"`, `requires tee '${step.requirements.tee}', but it is placed on deployment "${d.id}" (platform ${d.platform}, via ${via}), which satisfies only tee ${provides}. Bind the step to a deployment whose platform provides that TEE, or change the step's requirement.`);
    }
    byStep.set(step.id, d.id);
  }
  const usedIds = new Set(byStep.values());
  return { byStep, deploymentFor: (s) => byStep.get(s.id) ?? config.defaultDeployment, used: config.deployments.filter((d) => usedIds.has(d.id)) };
}

/** The deployments (of the engine's compiled form) a workflow's steps are placed on. */
export function usedDeployments<D extends { readonly id: string }>(workflow: Workflow, deployments: readonly D[], deploymentFor: (step: Step) => string): D[] {
  const used = new Set(workflow.steps.map((s) => deploymentFor(s)));
  for (const id of used) if (!deployments.some((d) => d.id === id)) throw new InputError(`no deployment named ${id} in the run configuration`);
  return deployments.filter((d) => used.has(d.id));
}
