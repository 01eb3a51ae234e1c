/**
 * Fuzz target for the CWL document loader (src/workflow/cwl/load/): what the
 * master reads of a CWL document — YAML with lines, `$graph`, `$import`
 * (confined), types, requirements, steps. Every input is loaded or refused
 * with an InputError; never a crash or a hang.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../../src/errors.js';
import { clearDocumentCache } from '../../../src/workflow/cwl/load/read.js';
import { loadCwl } from '../../../src/workflow/cwl/load/normalize.js';
import type { FuzzTarget } from '../target.js';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
let dir: string | undefined;

const SEEDS = [
  'cwlVersion: v1.2\nclass: CommandLineTool\nrequirements:\n  InlineJavascriptRequirement: {}\n  SchemaDefRequirement:\n    types:\n      - { name: R, type: record, fields: { a: "int?", f: File } }\ninputs:\n  r: R\n  xs: { type: "string[]", inputBinding: { prefix: -x, itemSeparator: "," } }\noutputs:\n  o: stdout\nbaseCommand: [echo]\narguments: [{ valueFrom: $(inputs.xs.length), position: 2 }]\n',
  'cwlVersion: v1.2\n$graph:\n  - id: main\n    class: Workflow\n    inputs: { a: "int[]" }\n    outputs: { o: { type: "int[]", outputSource: s/o } }\n    requirements: [{ class: ScatterFeatureRequirement }]\n    steps:\n      s: { run: "#t", in: { a: a }, out: [o], scatter: a, when: $(inputs.a > 1) }\n  - id: t\n    class: ExpressionTool\n    inputs: { a: int }\n    outputs: { o: int }\n    expression: "${ return {o: inputs.a}; }"\n',
  '{"cwlVersion": "v1.0", "class": "Workflow", "inputs": [], "outputs": [], "steps": [{"id": "s", "run": {"class": "CommandLineTool", "inputs": [], "outputs": [], "baseCommand": "true"}, "in": [], "out": []}]}\n',
];

export const targets: FuzzTarget[] = [
  {
    name: 'cwl-document',
    seeds: () => SEEDS.map(utf8),
    run: (input) => {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-fuzz-cwl-'));
      const file = path.join(dir, 'doc.cwl');
      fs.writeFileSync(file, input);
      clearDocumentCache();
      return loadCwl(file);
    },
    isOwnError: (e) => e instanceof InputError,
  },
];
