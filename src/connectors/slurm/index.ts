/**
 * The Slurm transport of the `slurm` connector (docs/connectors/slurm.md).
 * Not yet registered: the run configuration refuses `connector: slurm` until
 * the engine starts every worker through a connector.
 */
export { SlurmCluster, SlurmRefusal, type JobWatch, type SlurmClusterOptions, type SubmittedJob, type WatchOptions } from './cluster.js';
export { checkAgainst, parseSinfo, SINFO_FORMAT, type CheckRequest, type SinfoNode } from './check.js';
export { compileSlurmOptions, parseTimeLimit, slurmMemory, slurmTimeSeconds, type SlurmDeploymentOptions, type SlurmSettings } from './options.js';
export { parseSbatchParsable, parseSqueue, SlurmOutputError, SQUEUE_FORMAT, type JobState } from './parse.js';
export { localRunner, type CommandResult, type CommandRunner, type LocalRunnerOptions } from './runner.js';
export { jobScript, opaqueName, type JobScript, type SlurmJob } from './script.js';
