/**
 * `sealflow tools pin <tool>...`: the run configuration's `tools:` entries
 * (docs/protocol.md §10.3) with the current SHA-256 of each tool, resolved
 * as the executor resolves it — a bare name on the fixed PATH, a path as
 * given. Printed, or appended to the run configuration with `--config`.
 */
import fs from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { hashFile, resolveOnPath } from '../../worker/executor/tools.js';
import { DEFAULT_TOOL_PATH, parseToolPath } from '../../workflow/tools.js';
import { YamlSource, displayPath } from '../../workflow/yaml-source.js';

interface PinOpts {
  config?: string;
}

/** The config's `path:` and whether it already has `tools:`. */
async function readConfig(file: string): Promise<{ searchPath: string; hasTools: boolean }> {
  const src = await YamlSource.read(file, 'run configuration');
  const es = src.isNull(src.root) ? [] : src.entries(src.root, '', 'a run configuration');
  const p = es.find((e) => e.key === 'path');
  return { searchPath: p === undefined ? DEFAULT_TOOL_PATH : parseToolPath(src, p.value), hasTools: es.some((e) => e.key === 'tools') };
}

/** A tool name as a YAML key: quoted where YAML would read it as something other than that string (`true`, `1.0`, `a: b`). */
function yamlKey(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.+-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name) ? name : JSON.stringify(name);
}

async function entryFor(arg: string, searchPath: string): Promise<string> {
  if (arg.includes('/')) {
    const abs = path.resolve(arg);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new InputError(`tools pin: ${displayPath(abs)} is not a file; give a tool's path or its name on the PATH.`);
    const { sha256 } = await hashFile(await realpath(abs));
    return `  ${yamlKey(path.basename(abs))}: { sha256: ${sha256}, path: ${abs} }`;
  }
  const found = await resolveOnPath(arg, searchPath);
  if (found === undefined) throw new InputError(`tools pin: '${arg}' is not on the PATH command steps run with (${searchPath}); install it there, set 'path:' in the run configuration (and pass --config), or give its absolute path.`);
  const { sha256 } = await hashFile(await realpath(found));
  return `  ${yamlKey(arg)}: { sha256: ${sha256} }   # ${found}`;
}

async function pin(tools: string[], opts: PinOpts): Promise<void> {
  const config = opts.config === undefined ? undefined : await readConfig(opts.config);
  if (config?.hasTools) throw new InputError(`tools pin: ${displayPath(path.resolve(opts.config as string))} already has 'tools:'; run without --config and add the printed entries under it.`);
  const names = tools.map((t) => path.basename(t));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InputError(`tools pin: '${twice}' is named twice; a run configuration pins each tool name once.`);
  const lines = ['tools:'];
  for (const t of tools) lines.push(await entryFor(t, config?.searchPath ?? DEFAULT_TOOL_PATH));
  const block = `${lines.join('\n')}\n`;
  if (opts.config === undefined) {
    process.stdout.write(block);
    return;
  }
  const file = path.resolve(opts.config);
  const text = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${block}`);
  process.stderr.write(`sealflow: pinned ${tools.length} tool${tools.length === 1 ? '' : 's'} in ${displayPath(file)}\n`);
}

export function register(program: Command): void {
  const tools = program.command('tools').description('Tools that command steps run: pin their SHA-256 in the run configuration');
  tools
    .command('pin')
    .description("Print 'tools:' entries for sealflow.yaml with each tool's current SHA-256 (the executor checks them before exec)")
    .argument('<tool...>', 'a tool name, resolved on the fixed PATH (the config\'s path:, default /usr/local/bin:/usr/bin:/bin), or a path to the tool')
    .option('--config <file>', "resolve names on this run configuration's path: and append the entries to it (it must not have tools: yet)")
    .addHelpText(
      'after',
      '\nExamples:\n  sealflow tools pin bowtie2-align-s samtools\n  sealflow tools pin /opt/bio/bin/bwa --config sealflow.yaml\n\nA pin says exactly which file may run; update it when you update the tool. See docs/protocol.md §10.3.',
    )
    .action(pin);
  for (const c of tools.commands) c.exitOverride();
  tools.exitOverride();
}
