/**
 * The Slurm transport of the `slurm` connector (docs/connectors/slurm.md).
 * Not yet registered: the run configuration refuses `connector: slurm` until
 * the engine starts every worker through a connector.
 */
export { SlurmCluster, SlurmRefusal, type JobWatch, type SlurmClusterOptions, type SubmittedJob, type WatchOptions } from './cluster.js';
export { compileSlurmOptions, parseTimeLimit, slurmMemory, type SlurmDeploymentOptions, type SlurmSettings } from './options.js';
export { parseSbatchParsable, parseSqueue, SlurmOutputError, SQUEUE_FORMAT, type JobState } from './parse.js';
export { localRunner, type CommandResult, type CommandRunner, type LocalRunnerOptions } from './runner.js';
export { jobScript, opaqueName, type JobScript, type SlurmJob } from './script.js';
