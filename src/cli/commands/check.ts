/**
 * `sealflow check`: before a run, reach every deployment of a workflow's run
 * configuration and look for what its workers would need — `node`, the
 * platform's prerequisites, the programs the steps run and their pins, the
 * scheduler's limits — without running or writing anything
 * (docs/connectors/check.md). Exit 0: nothing found; 1: problems, one line
 * each; 2: the workflow or configuration itself is invalid (file:line).
 */
import type { Command } from 'commander';
import type { DeploymentCheck } from '../../engine/check.js';
import type { ToolsSettings } from '../../engine/tools.js';
import type { EngineDeployment } from '../../engine/workers.js';

interface CheckOpts {
  readonly config?: string;
  readonly json?: boolean;
}

function show(c: DeploymentCheck): string {
  const head = `${c.problems.length === 0 ? 'ok  ' : 'FAIL'}  ${c.deployment} (${c.connector}, ${c.platform}; ${c.steps} step${c.steps === 1 ? '' : 's'})`;
  return [head, ...c.facts.map((f) => `        ${f}`), ...c.problems.map((p) => `      ✗ ${p}`)].join('\n');
}

async function action(flow: string, opts: CheckOpts): Promise<void> {
  // Loaded here, not with the command's registration: `check --help` needs none of them.
  const [{ loadWorkflow }, { displayPath }, { loadRunConfig }, { place }, { withPolicyPath }, { checkDeployments }] = await Promise.all([
    import('../../workflow/index.js'),
    import('../../workflow/yaml-source.js'),
    import('../../engine/config/load-run-config.js'),
    import('../../engine/placement.js'),
    import('../run-plan.js'),
    import('../../engine/check.js'),
  ]);
  const workflow = await loadWorkflow(flow);
  const config = await loadRunConfig(workflow, opts.config);
  const deployments: EngineDeployment[] = config.deployments.map((d) => ({ id: d.id, connector: d.connector, platform: d.platform, workers: d.workers, options: withPolicyPath(d.options, d.loc.file), encrypt: true }));
  const { deploymentFor } = place(workflow, config);
  const tools: ToolsSettings = { ...(config.path !== undefined ? { path: config.path } : {}), ...(config.tools !== undefined ? { pins: config.tools } : {}) };
  const where = config.file !== undefined ? displayPath(config.file) : 'the built-in default run configuration';
  if (!opts.json) process.stderr.write(`sealflow check: ${deployments.length} deployment${deployments.length === 1 ? '' : 's'} of ${where} for ${displayPath(workflow.file)} (nothing is run)\n`);
  const results = await checkDeployments({ workflow, deployments, placement: deploymentFor, tools }, opts.json ? undefined : (c) => process.stdout.write(`${show(c)}\n`));
  const problems = results.flatMap((r) => r.problems);
  if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'check', ok: problems.length === 0, deployments: results })}\n`);
  else {
    const bad = results.filter((r) => r.problems.length > 0).length;
    process.stdout.write(problems.length === 0 ? `every deployment is ready\n` : `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${bad} of ${results.length} deployment${results.length === 1 ? '' : 's'}\n`);
  }
  if (problems.length > 0) process.exitCode = 1;
}

export function register(program: Command): void {
  program
    .command('check')
    .description("look at every deployment's hosts for what a run needs (node, the platform, the tools and their pins, Slurm's limits); runs nothing")
    .argument('<workflow>', 'flow.yaml, or a directory holding one')
    .option('--config <file>', 'run configuration (default: sealflow.yaml beside the workflow, else one local deployment)')
    .option('--json', 'one JSON object on stdout')
    .addHelpText('after', '\nExit status: 0 every deployment is ready; 1 problems were found (one line each, naming the\ndeployment and host or job, and what to do); 2 the workflow or configuration is invalid.\nExamples:\n  sealflow check examples/word-count\n  sealflow check flow.yaml --config cluster.yaml')
    .action(action);
}
