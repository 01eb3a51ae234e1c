/**
 * Fuzz targets for every YAML file sealflow reads from a user: the workflow
 * (flow.yaml), its inputs (inputs.yaml), the run configuration
 * (sealflow.yaml) and an attestation policy. Seeds are the examples', the
 * test fixtures' and the policy documentation's own files. Each must parse
 * or fail with an InputError (exit 2, `file:line:column`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../../src/errors.js';
import { parsePolicy } from '../../../src/attestation/policy-load.js';
import { loadInputs, parseWorkflow, YamlSource, type Workflow } from '../../../src/workflow/index.js';
import { parseRunConfig } from '../../../src/engine/config/load-run-config.js';
import { REPO } from '../../helpers/cli.js';
import { scratchDir } from '../scratch.js';
import type { FuzzTarget } from '../target.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const isInputError = (e: unknown): boolean => e instanceof InputError;

/** Every file named `name` under the examples and test fixtures. */
function filesNamed(name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'data') walk(p);
      else if (e.isFile() && e.name === name) out.push(new Uint8Array(fs.readFileSync(p)));
    }
  };
  walk(path.join(REPO, 'examples'));
  walk(path.join(REPO, 'test', 'fixtures'));
  return out;
}

/** The ```yaml blocks of a documentation page. */
export function yamlBlocks(doc: string): Uint8Array[] {
  const md = fs.readFileSync(path.join(REPO, 'docs', doc), 'utf8');
  return [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => new TextEncoder().encode(m[1]));
}

const FLOW = path.join(REPO, 'examples', 'word-count', 'flow.yaml');
let wordCount: Promise<Workflow> | undefined;
const workflow = (): Promise<Workflow> => (wordCount ??= YamlSource.read(FLOW, 'workflow').then(parseWorkflow));

/** A private file the inputs loader reads (it takes a path, as the CLI gives it). */
const scratch = scratchDir('inputs');
function inputsFile(b: Uint8Array): string {
  const dir = scratch();
  // The file the `corpus: x.txt` seed names, so that seed and its near mutations are accepted.
  if (!fs.existsSync(path.join(dir, 'x.txt'))) fs.writeFileSync(path.join(dir, 'x.txt'), 'a b c\n');
  const f = path.join(dir, 'inputs.yaml');
  fs.writeFileSync(f, b);
  return f;
}

export const targets: FuzzTarget[] = [
  {
    name: 'yaml-workflow',
    seeds: () => filesNamed('flow.yaml'),
    run: async (b) => parseWorkflow(await YamlSource.parse(FLOW, text(b))),
    isOwnError: isInputError,
  },
  {
    name: 'yaml-inputs',
    seeds: () => [...filesNamed('inputs.yaml'), new TextEncoder().encode('corpus: x.txt\nparts: 2\npartitions: 4\n'), new TextEncoder().encode('corpus: {class: File, path: x.txt}\nparts: 2\npartitions: [1, {a: b}]\n')],
    run: async (b) => loadInputs(await workflow(), { file: inputsFile(b) }),
    isOwnError: isInputError,
  },
  {
    name: 'yaml-run-config',
    seeds: () => [
      ...filesNamed('sealflow.yaml'),
      new TextEncoder().encode(`deployments:\n  local: { connector: local, platform: sim, workers: 2 }\npath: /usr/local/bin:/usr/bin:/bin\ntools:\n  samtools: { sha256: ${'ab'.repeat(32)}, path: /usr/bin/samtools }\n  sort: { sha256: ${'cd'.repeat(32)} }\n`),
    ],
    run: async (b) => parseRunConfig(await YamlSource.parse(path.join(REPO, 'examples', 'word-count', 'sealflow.yaml'), text(b)), await workflow()),
    isOwnError: isInputError,
  },
  {
    name: 'yaml-policy',
    seeds: () => yamlBlocks('attestation-policy.md'),
    run: (b) => parsePolicy(text(b), 'policy.yaml'),
    isOwnError: isInputError,
  },
];
