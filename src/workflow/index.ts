/** The workflow layer: loading and validating flow.yaml, inputs, DAG helpers (the run configuration and placement are the engine's: src/engine/config/, src/engine/placement.ts). */
export * from './model.js';
export { loadWorkflow, parseWorkflow, workflowPath, WORKFLOW_FILE } from './loader.js';
export { topoOrder, findCycle, dependents, downstream, stepDependencies } from './dag.js';
export { parseTypeSpec, parseMemory, formatSpec } from './types.js';
export type { TypeSpec } from './types.js';
export { YamlSource, displayPath, where } from './yaml-source.js';
export { loadInputs, parseInputFlag, INPUTS_FILE } from './inputs.js';
export type { InputOptions } from './inputs.js';
export { checkTasks } from './check-tasks.js';
export type { CheckOptions, CheckedTasks, TaskSpec } from './check-tasks.js';
export { whichProgram } from './check-commands.js';
