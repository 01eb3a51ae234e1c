/**
 * Tool pins checked before a run starts (docs/protocol.md §10.3, §13.4):
 * the steps placed on `local` deployments run their tools from this
 * machine's disk, so the master can hash each pinned tool they need now and
 * refuse the run (InputError, exit 2) before any worker starts, instead of
 * every attempt failing later among worker messages. The executor still
 * checks (and runs the checked bytes) at each attempt: this is the early
 * error, not the guarantee. Tools of remote deployments live on other hosts
 * and are checked there only. A program that is a `$(…)` template is known
 * only at the worker and is left to it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { InputError, type SourceLocation } from '../errors.js';
import type { Step } from '../workflow/model.js';
import type { ToolPins } from '../workflow/tools.js';
import { isExecutableFile, resolveOnPath } from '../workflow/which.js';
import { where } from '../workflow/yaml-source.js';
import { commandToolsOf, type ToolsSettings } from './tools.js';
import type { EngineDeployment } from './workers.js';

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (b) => h.update(b)).on('end', () => resolve(h.digest('hex')));
  });
}

/** Hashes every pinned tool a step on a local deployment runs; throws InputError at the pin's file:line on a mismatch or a missing tool. */
export async function checkLocalPins(steps: readonly Step[], settings: ToolsSettings, deployments: readonly EngineDeployment[], placement: (s: Step) => string): Promise<void> {
  const pins: ToolPins = settings.pins ?? {};
  if (Object.keys(pins).length === 0) return;
  const toolsOf = commandToolsOf(settings, deployments, placement);
  const checked = new Map<string, Promise<void>>(); // tool + search path → its check, once per run
  for (const step of steps) {
    if (step.run.kind !== 'command' || (!step.run.shell && (step.run.argv[0] ?? '').includes('$('))) continue;
    const d = deployments.find((x) => x.id === placement(step));
    if (d?.connector !== 'local') continue;
    const spec = toolsOf(step);
    const searchPath = spec.path ?? process.env['PATH'] ?? '';
    for (const [tool, pin] of Object.entries(spec.tools ?? {})) {
      const key = `${tool}\0${searchPath}`;
      if (!checked.has(key)) checked.set(key, checkPin(step.id, tool, pin, pins[tool]?.loc, searchPath));
    }
  }
  await Promise.all(checked.values());
}

async function checkPin(stepId: string, tool: string, pin: { sha256: string; path?: string }, loc: SourceLocation | undefined, searchPath: string): Promise<void> {
  const at = loc !== undefined ? `${where(loc)}: ` : '';
  const file = pin.path ?? (await resolveOnPath(tool, searchPath));
  if (file === undefined || !(await isExecutableFile(file))) {
    const place = pin.path !== undefined ? `at ${pin.path}` : `on the PATH step ${stepId} runs with (${searchPath})`;
    throw new InputError(`${at}tool "${tool}": pinned tool ${tool} (run by step ${stepId}) was not found ${place}; nothing was started. Install it there, or correct the pin's 'path:' ('sealflow tools pin <file>' prints an entry).`);
  }
  const real = await realpath(file);
  const actual = await sha256Of(real);
  if (actual !== pin.sha256) {
    throw new InputError(
      `${at}tool "${tool}": ${real} has SHA-256 ${actual}, but the run configuration pins ${pin.sha256} (step ${stepId} runs it); nothing was started. ` +
        `If the tool was updated on purpose, update its pin ('sealflow tools pin ${real}' prints the new entry); otherwise find out what changed it.`,
    );
  }
}
