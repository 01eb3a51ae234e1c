/**
 * The `slurm` connector (connector.ts, registered in src/connectors/index.ts)
 * and its transport (docs/connectors/slurm.md).
 */
export { slurmConnector } from './connector.js';
export { compileSlurmDeployment, SLURM_OPTION_KEYS, type SlurmDeployment } from './deployment.js';
export { SlurmCluster, SlurmRefusal, type JobWatch, type SlurmClusterOptions, type SubmittedJob, type WatchOptions } from './cluster.js';
export { checkAgainst, parseSinfo, SINFO_FORMAT, type CheckRequest, type SinfoNode } from './check.js';
export { compileSlurmOptions, parseTimeLimit, slurmMemory, slurmTimeSeconds, type SlurmDeploymentOptions, type SlurmSettings } from './options.js';
export { parseSbatchParsable, parseSqueue, SlurmOutputError, SQUEUE_FORMAT, type JobState } from './parse.js';
export { localRunner, type CommandResult, type CommandRunner, type LocalRunnerOptions } from './runner.js';
export { jobScript, opaqueName, type JobScript, type SlurmJob } from './script.js';
