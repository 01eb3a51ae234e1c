/**
 * `sealflow check` (docs/connectors/check.md): for a workflow and its run
 * configuration, asks every deployment's connector to look at its hosts —
 * `node`, the platform's prerequisites, the programs the steps placed there
 * run and their pins, the scheduler's limits — and adds what the master
 * itself can tell (a policy that would refuse the deployment's workers).
 * Runs nothing, writes nothing. Each problem is one line naming the
 * deployment and host or job and saying what to do.
 */
import path from 'node:path';
import { loadPolicy } from '../attestation/policy-load.js';
import type { CheckRequest, CheckResult, ToolNeed } from '../connectors/connector.js';
import { connectorByName } from '../connectors/index.js';
import { platformByName } from '../tee/index.js';
import type { Step, Workflow } from '../workflow/model.js';
import { pinsForCommand } from '../workflow/tools.js';
import { commandToolsOf, type ToolsSettings } from './tools.js';
import type { EngineDeployment } from './workers.js';

/** A deployment's connector has this long to answer (a host that hangs is a problem, not a hang). */
const CHECK_TIMEOUT_MS = 60_000;

export interface DeploymentCheck {
  readonly deployment: string;
  readonly connector: string;
  readonly platform: string;
  /** Steps placed on it. */
  readonly steps: number;
  readonly facts: readonly string[];
  /** One line each, starting with `deployment "<id>"`. */
  readonly problems: readonly string[];
}

/** The programs `steps` run that a host can be asked about: a command's program (not a `$(…)` template) and every pinned tool it uses. */
export function toolsOf(steps: readonly Step[], settings: ToolsSettings): ToolNeed[] {
  const byName = new Map<string, ToolNeed>();
  for (const s of steps) {
    if (s.run.kind !== 'command') continue;
    const pins = settings.pins ? pinsForCommand(s.run.argv, s.run.shell, settings.pins) : {};
    for (const [name, pin] of Object.entries(pins)) byName.set(name, { name, pin });
    const first = s.run.argv[0] ?? '';
    if (s.run.shell || first === '' || first.includes('$(') || byName.has(path.basename(first))) continue;
    byName.set(path.basename(first), { name: path.basename(first), ...(first.includes('/') ? { at: first } : {}) });
  }
  return [...byName.values()];
}

/** What the master can tell without reaching the host: a policy that would refuse the workers. */
function masterSide(d: EngineDeployment): string[] {
  const file = d.options['policy'];
  const policy = typeof file === 'string' ? loadPolicy(file) : undefined;
  if (d.platform === 'sim' && d.connector !== 'local' && policy?.allowRemoteSimulation !== true) {
    return [`platform sim on connector ${d.connector} needs a policy with allowRemoteSimulation: true (sim is NOT a TEE); without it the key broker refuses every worker (simulated-not-local) — name such a policy in the deployment's policy:, or use a TEE platform`];
  }
  if (d.platform === 'none' && d.connector !== 'local' && d.encrypt === true && policy?.allowUnattested !== true) {
    return [`platform none on connector ${d.connector} needs a policy with allowUnattested: true (no TEE: keys are released without evidence) — name such a policy in the deployment's policy:, or use a TEE platform`];
  }
  return [];
}

function withTimeout(p: Promise<CheckResult>, what: string): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ facts: [], problems: [`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000} s — check that its hosts are reachable and not overloaded`] }), CHECK_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export interface CheckInput {
  readonly workflow: Workflow;
  readonly deployments: readonly EngineDeployment[];
  readonly placement: (s: Step) => string;
  readonly tools: ToolsSettings;
}

/** Checks every deployment of the run configuration at once; one entry each, in configuration order. */
export async function checkDeployments(input: CheckInput, onDone?: (c: DeploymentCheck) => void): Promise<DeploymentCheck[]> {
  const toolSpec = commandToolsOf(input.tools, input.deployments, input.placement);
  return Promise.all(
    input.deployments.map(async (d): Promise<DeploymentCheck> => {
      const steps = input.workflow.steps.filter((s) => input.placement(s) === d.id);
      const connector = await connectorByName(d.connector);
      const platform = platformByName(d.platform);
      const prefix = (m: string) => `deployment "${d.id}": ${m}`;
      const problems = masterSide(d).map(prefix);
      const facts: string[] = [];
      if (connector?.check !== undefined && platform !== null) {
        const searchPath = steps.map((s) => toolSpec(s).path).find((p) => p !== undefined) ?? process.env['PATH'] ?? '';
        const threads = Math.max(0, ...steps.map((s) => s.requirements.threads));
        const memory = Math.max(0, ...steps.map((s) => s.requirements.memory ?? 0));
        const req: CheckRequest = {
          deployment: d.id,
          options: d.options,
          platform,
          tools: toolsOf(steps, input.tools),
          path: searchPath,
          ...(threads > 0 ? { threads } : {}),
          ...(memory > 0 ? { memory } : {}),
        };
        const r = await withTimeout(connector.check(req).catch((e: unknown) => ({ facts: [], problems: [e instanceof Error ? e.message : String(e)] })), `connector ${d.connector}`);
        facts.push(...r.facts);
        problems.push(...r.problems.map((m) => (m.startsWith('deployment "') ? m : prefix(m))));
      } else {
        problems.push(prefix(`connector ${d.connector} has no check in this version — nothing was looked at`));
      }
      const c: DeploymentCheck = { deployment: d.id, connector: d.connector, platform: d.platform, steps: steps.length, facts, problems };
      onDone?.(c);
      return c;
    }),
  );
}
