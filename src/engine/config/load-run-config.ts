/**
 * `loadRunConfig`: sealflow.yaml beside the workflow (or the given file) into
 * a validated `RunConfig`; the built-in default when there is none. Fails at
 * start on anything a run would trip over later.
 */
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { YNode } from '../../workflow/yaml-nodes.js';
import type { SourceLocation } from '../../errors.js';
import { TEE_REQUIREMENTS, checkId } from '../../workflow/load-step.js';
import type { TeeRequirement, Workflow } from '../../workflow/model.js';
import { CONNECTORS, CONNECTOR_OPTION_KEYS, MAX_REPROVISIONS, PLATFORMS, PLATFORM_OPTION_KEYS } from './run-config.js';
import type { Binding, ConnectorKind, Deployment, PlatformKind, RunConfig } from './run-config.js';
import { didYouMean, listOf } from '../../suggest.js';
import { parseToolPath, parseToolPins } from '../../workflow/tools.js';
import { YamlSource, displayPath } from '../../workflow/yaml-source.js';
import { place } from '../placement.js';
import { checkSshDeployment } from './ssh-deployment.js';
import { checkStepSizing, sizingOverrides } from '../../tee/deployment-sizing.js';
import { SizingError } from '../../tee/sizing.js';
import { InputError } from '../../errors.js';
import { parseAdvertiseKey } from './advertise.js';
import { checkSlurmDeployment } from './slurm-deployment.js';
import { parseDeploymentData } from './data-deployment.js';

export const RUN_CONFIG_FILE = 'sealflow.yaml';
const TOP_KEYS = ['deployments', 'default', 'bindings', 'concurrency', 'path', 'tools', 'advertise'] as const;
const DEPLOYMENT_KEYS = ['connector', 'platform', 'workers', MAX_REPROVISIONS, 'data'] as const;

export function cores(): number {
  return Math.max(1, os.availableParallelism());
}

/** One deployment `local`: connector local, platform none, a worker per core. */
export function defaultRunConfig(): RunConfig {
  const local: Deployment = { id: 'local', connector: 'local', platform: 'none', workers: cores(), options: {}, loc: { file: '(built-in default run configuration)', line: 1, column: 1 } };
  return { deployments: [local], defaultDeployment: 'local', bindings: [], concurrency: cores() };
}

export async function loadRunConfig(workflow: Workflow, configFile?: string): Promise<RunConfig> {
  let file = configFile === undefined ? undefined : path.resolve(configFile);
  if (file === undefined) {
    const beside = path.join(path.dirname(workflow.file), RUN_CONFIG_FILE);
    if (await access(beside).then(() => true, () => false)) file = beside;
  }
  const config = file === undefined ? defaultRunConfig() : parseRunConfig(await YamlSource.read(file, 'run configuration'), workflow);
  const placement = place(workflow, config); // every step's deployment provides the TEE the step requires
  checkSizing(workflow, config, placement.byStep); // and, on SGX, fits its enclave (docs/tee-platforms.md)
  return config;
}

function checkSizing(workflow: Workflow, config: RunConfig, byStep: ReadonlyMap<string, string>): void {
  for (const step of workflow.steps) {
    const d = config.deployments.find((x) => x.id === byStep.get(step.id));
    if (!d) continue;
    try {
      checkStepSizing(d.platform, d.options, step);
    } catch (e) {
      if (e instanceof SizingError) throw new InputError(`${displayPath(d.loc.file)}:${d.loc.line}:${d.loc.column}: deployment "${d.id}" (platform ${d.platform}): ${e.message}.`);
      throw e;
    }
  }
}

function oneOf<T extends string>(src: YamlSource, node: YNode | undefined, allowed: readonly T[], context: string, what: string, later: string): T {
  const v = src.string(node, context, what);
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw src.error(node, context, `unknown ${what} '${v}'${didYouMean(v, allowed) || '.'} This version supports ${listOf(allowed)}${later}.`);
}

function parseDeployment(src: YamlSource, id: string, node: YNode | undefined, loc: SourceLocation): Deployment {
  const context = `deployment "${id}"`;
  const es = src.entries(node, context, 'a deployment');
  const get = (k: string): YNode | undefined => es.find((e) => e.key === k)?.value;
  const connector = get('connector') === undefined ? 'local' : oneOf<ConnectorKind>(src, get('connector') , CONNECTORS, context, 'connector', '');
  const platform = get('platform') === undefined ? 'none' : oneOf<PlatformKind>(src, get('platform') , PLATFORMS, context, 'platform', '');
  // Every registered platform is selectable; one this machine cannot start is refused at start (WorkerPool.check), with what it needs.
  const optionKeys = [...(CONNECTOR_OPTION_KEYS[connector] ?? []), ...PLATFORM_OPTION_KEYS];
  src.checkKeys(es, [...DEPLOYMENT_KEYS, ...optionKeys], context, `a ${connector}/${platform} deployment`);
  const options: Record<string, unknown> = {};
  for (const e of es) if (optionKeys.includes(e.key)) options[e.key] = src.toJS(e.value);
  if (connector === 'ssh') checkSshDeployment(src, id, es, options);
  try {
    sizingOverrides(platform, options);
  } catch (e) {
    if (e instanceof SizingError) throw src.error(node, context, `${e.message}.`);
    throw e;
  }
  const cap = get(MAX_REPROVISIONS);
  if (cap !== undefined) options[MAX_REPROVISIONS] = src.integer(cap, 0, context, MAX_REPROVISIONS);
  if (connector === 'slurm') checkSlurmDeployment(src, id, es, options);
  const workers = get('workers');
  const data = get('data') === undefined ? undefined : parseDeploymentData(src, id, connector, get('data'));
  return { id, connector, platform, workers: workers === undefined ? cores() : src.integer(workers , 1, context, 'workers'), options, ...(data ? { data } : {}), loc };
}

function parseBinding(src: YamlSource, node: YNode, deployments: ReadonlyMap<string, Deployment>, workflow: Workflow): Binding {
  const context = 'binding';
  const loc = src.loc(node);
  if (node?.kind !== 'map') throw src.error(node, context, `each binding is a map such as '{ step: align, deployment: local }' or '{ tee: sgx, deployment: enclaves }'.`);
  const f = src.fields(node, ['step', 'tee', 'deployment'], context, 'a binding');
  const step = f.get('step');
  const tee = f.get('tee');
  const dep = f.get('deployment');
  if ((step === undefined) === (tee === undefined)) throw src.error(node, context, `a binding matches either 'step: <id>' or 'tee: <requirement>' (exactly one of them).`);
  if (dep === undefined) throw src.error(node, context, `a binding needs 'deployment: <id>'.`);
  const deployment = src.string(dep.value, context, 'deployment');
  if (!deployments.has(deployment)) {
    throw src.error(dep.value, context, `names deployment '${deployment}', which is not declared${didYouMean(deployment, deployments.keys()) || '.'} Declared deployments: ${listOf([...deployments.keys()])}.`);
  }
  if (step !== undefined) {
    const id = src.string(step.value, context, 'step');
    const ids = workflow.steps.map((s) => s.id);
    if (!ids.includes(id)) throw src.error(step.value, context, `names step '${id}', which is not a step of the workflow${didYouMean(id, ids) || '.'} Bindings name step ids of ${displayPath(workflow.file)}.`);
    return { match: { step: id }, deployment, loc };
  }
  const t = oneOf<TeeRequirement>(src, tee?.value, TEE_REQUIREMENTS, context, 'tee requirement', '');
  return { match: { tee: t }, deployment, loc };
}

export function parseRunConfig(src: YamlSource, workflow: Workflow): RunConfig {
  const root = src.root;
  if (!src.isNull(root) && root.kind !== 'map') throw src.error(root, '', `a run configuration must be a map with 'deployments:'; see docs/workflow-format.md.`);
  const f = src.fields(root, TOP_KEYS, '', 'a run configuration');
  const deployments = new Map<string, Deployment>();
  const depEntry = f.get('deployments');
  for (const e of src.entries(depEntry?.value, '', 'deployments')) {
    checkId(src, e.key, e.keyNode, '', 'deployment');
    deployments.set(e.key, parseDeployment(src, e.key, e.value, src.loc(e.keyNode)));
  }
  if (deployments.size === 0) throw src.error(depEntry?.keyNode ?? root, '', `declare at least one deployment under 'deployments:', e.g. 'local: { connector: local, platform: none, workers: 2 }'.`);
  const defEntry = f.get('default');
  let defaultDeployment: string;
  if (defEntry === undefined) {
    if (deployments.size > 1) throw src.error(root, '', `there are ${deployments.size} deployments, so say which one takes the steps no binding names: add 'default: <deployment>'.`);
    defaultDeployment = [...deployments.keys()][0] as string;
  } else {
    defaultDeployment = src.string(defEntry.value, '', 'default');
    if (!deployments.has(defaultDeployment)) {
      throw src.error(defEntry.value, '', `default names deployment '${defaultDeployment}', which is not declared${didYouMean(defaultDeployment, deployments.keys()) || '.'} Declared deployments: ${listOf([...deployments.keys()])}.`);
    }
  }
  const bindings = src.items(f.get('bindings')?.value, '', 'bindings').map((n) => parseBinding(src, n, deployments, workflow));
  const conc = f.get('concurrency');
  const toolPath = f.get('path');
  const tools = f.get('tools');
  const advertise = f.get('advertise');
  return {
    file: src.file,
    deployments: [...deployments.values()],
    defaultDeployment,
    bindings,
    concurrency: conc === undefined ? cores() : src.integer(conc.value, 1, '', 'concurrency'),
    ...(toolPath !== undefined ? { path: parseToolPath(src, toolPath.value) } : {}),
    ...(tools !== undefined ? { tools: parseToolPins(src, tools.value) } : {}),
    ...(advertise !== undefined ? { advertise: parseAdvertiseKey(src, advertise.value, [...deployments.values()]) } : {}),
  };
}
