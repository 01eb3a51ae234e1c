/** The public API of the `sealflow` package (for task authors and embedders). */
export { defineTask, isTaskDefinition } from './task.js';
export type { TaskContext, TaskDefinition, PortSpecs, PortTypeSpec, ValuesOf } from './task.js';
