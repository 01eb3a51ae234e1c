/**
 * The SSH transport of the `ssh` connector (docs/connectors/ssh.md): a host
 * reached with the system OpenSSH client over one control master, its
 * checks, per-run directories, uploads, remote processes and forwards.
 */
export { sshConnector } from './connector.js';
export { compileSshOptions, SSH_OPTION_KEYS, type CompiledSshOptions } from './options.js';
export { SshHost, MIN_NODE_MAJOR, REMOTE_TOOLS, type ConnectResult, type NodeCheck, type SshResult } from './host.js';
export { SshError, type SshFailure } from './errors.js';
export { makeRunDir, sweepDead, RunDir, MARKER, type SweepOptions, type Uploaded } from './run-dir.js';
export { spawnRemote, type RemoteExit, type RemoteProcess, type RemoteSpawnOptions } from './spawn.js';
export { forwardRemoteToLocal, type Forward, type LocalEnd, type RemoteEnd } from './forward.js';
export { shCommand, shQuote, shScript } from './quote.js';
export type { SweepLine } from './parse.js';
