/**
 * Platform `none`: no TEE. The program runs as a plain Node.js process. Used
 * for `local` deployments (the trusted master's own machine) and, only under a
 * policy with `allowUnattested: true`, elsewhere. Produces no evidence;
 * satisfies only `tee: none`.
 */
import { allowedEnv, teeRefusal, type LaunchCommand, type LaunchSpec, type TeePlatform } from '../platform.js';

export const nonePlatform: TeePlatform = {
  name: 'none',
  isTee: false,
  evidence: null,
  launchNeeds: null,
  satisfies(req) {
    return req === 'none';
  },
  launch(spec: LaunchSpec): LaunchCommand {
    // `--` ends node's own options: an argument the host supplies is never one of them.
    return { command: process.execPath, args: ['--', spec.program, ...spec.args], env: allowedEnv(spec.env), cwd: spec.workDir };
  },
  refuses(step, opts) {
    return teeRefusal(this, step, opts);
  },
};
