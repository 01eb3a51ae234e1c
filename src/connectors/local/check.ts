/**
 * `sealflow check` for a `local` deployment (docs/connectors/check.md): the
 * workers would run on this machine with this Node.js, so this looks here
 * for the platform's devices and programs and for the programs the steps run
 * (hashing the pinned ones). Nothing is started or written.
 */
import fs from 'node:fs';
import { realpath } from 'node:fs/promises';
import type { CheckRequest, CheckResult } from '../connector.js';
import { digestFileSync } from '../../crypto/digest-file.js';
import { isExecutableFile, resolveOnPath } from '../../workflow/which.js';

export async function checkLocalDeployment(req: CheckRequest): Promise<CheckResult> {
  // Local workers run with this very node (process.execPath), which already runs sealflow: nothing to check.
  const facts: string[] = [`this machine: node ${process.version}`];
  const problems: string[] = [];
  for (const f of req.platform.hostNeeds?.files ?? []) {
    if (!fs.existsSync(f.path)) problems.push(`this machine has no ${f.path} (${f.what}) — platform ${req.platform.name} cannot run here; use a host that has it`);
  }
  const missingNeeds: string[] = [];
  for (const c of req.platform.hostNeeds?.commands ?? []) if ((await resolveOnPath(c, process.env['PATH'] ?? '')) === undefined) missingNeeds.push(c);
  if (missingNeeds.length > 0) problems.push(`${missingNeeds.join(', ')} not found on this machine's PATH (needed by platform ${req.platform.name}) — install ${missingNeeds.length > 1 ? 'them' : 'it'}`);
  const missing: string[] = [];
  for (const t of req.tools) {
    const at = t.pin?.path ?? t.at;
    const file = at !== undefined ? ((await isExecutableFile(at)) ? at : undefined) : await resolveOnPath(t.name, req.path);
    if (file === undefined) {
      missing.push(at !== undefined ? `${t.name} (at ${at})` : t.name);
      continue;
    }
    if (t.pin === undefined) continue;
    const real = await realpath(file);
    const actual = digestFileSync(real);
    if (actual !== t.pin.sha256) {
      problems.push(`tool ${t.name} at ${real} has SHA-256 ${actual}, but the run configuration pins ${t.pin.sha256} — update the pin if the tool was updated on purpose ('sealflow tools pin ${real}' prints it), otherwise find out what changed it`);
    }
  }
  if (missing.length > 0) problems.push(`${missing.join(', ')} not found on the steps' PATH (${req.path}) — install ${missing.length > 1 ? 'them' : 'it'}, or set 'path:' in sealflow.yaml`);
  else if (req.tools.length > 0) facts.push(`tools found: ${req.tools.map((t) => t.name).join(', ')}`);
  return { facts, problems };
}
