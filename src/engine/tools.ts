/**
 * What a command step's assignment carries about tools (docs/protocol.md
 * §10.3): the fixed PATH — always for encrypted deployments (the run
 * configuration's `path:` or DEFAULT_TOOL_PATH), for plain ones only when
 * `path:` is given — and the pins of the programs the step runs.
 */
import type { ToolPinSpec } from '../protocol/execution.js';
import type { Step } from '../workflow/model.js';
import { DEFAULT_TOOL_PATH, pinsForCommand, type ToolPins } from '../workflow/tools.js';
import type { EngineDeployment } from './workers.js';

export interface ToolsSettings {
  /** The run configuration's `path:`. */
  readonly path?: string;
  /** The run configuration's `tools:`. */
  readonly pins?: ToolPins;
}

/** Encrypted deployments (platforms with evidence, or `none` with encryption) run commands from the fixed PATH. */
export function usesFixedPath(d: EngineDeployment): boolean {
  return d.platform !== 'none' || d.encrypt === true;
}

export function commandToolsOf(
  settings: ToolsSettings,
  deployments: readonly EngineDeployment[],
  deploymentFor: (step: Step) => string,
): (step: Step) => { path?: string; tools?: Record<string, ToolPinSpec> } {
  return (step) => {
    const d = deployments.find((x) => x.id === deploymentFor(step));
    const fixed = settings.path ?? (d !== undefined && usesFixedPath(d) ? DEFAULT_TOOL_PATH : undefined);
    const tools = step.run.kind === 'command' && settings.pins ? pinsForCommand(step.run.argv, step.run.shell, settings.pins) : {};
    return { ...(fixed !== undefined ? { path: fixed } : {}), ...(Object.keys(tools).length > 0 ? { tools } : {}) };
  };
}

/**
 * The PATH the load-time program check (checkTasks) searches: the one the
 * commands will run with — `path:`, else the fixed default when every step
 * runs on an encrypted deployment, else the master's own.
 */
export function commandCheckPath(settings: ToolsSettings, deployments: readonly EngineDeployment[], steps: readonly Step[], deploymentFor: (step: Step) => string): { path?: string; pinnedPaths: Map<string, string>; fixedPath: boolean } {
  const pinnedPaths = new Map<string, string>();
  for (const [name, pin] of Object.entries(settings.pins ?? {})) if (pin.path !== undefined) pinnedPaths.set(name, pin.path);
  if (settings.path !== undefined) return { path: settings.path, pinnedPaths, fixedPath: true };
  const fixed = steps.every((s) => {
    const d = deployments.find((x) => x.id === deploymentFor(s));
    return d !== undefined && usesFixedPath(d);
  });
  return fixed ? { path: DEFAULT_TOOL_PATH, pinnedPaths, fixedPath: true } : { pinnedPaths, fixedPath: false };
}
