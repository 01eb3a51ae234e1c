/**
 * Fuzz target for the CWL expression scanner and parameter-reference
 * evaluator (src/workflow/cwl/expr/): the code the master may run over
 * strings from a CWL document. Every input is either evaluated or refused
 * with ExpressionSyntaxError / ExpressionError — never a crash or a hang.
 */
import { ExpressionError } from '../../../src/workflow/cwl/expr/sandbox.js';
import { evaluate } from '../../../src/workflow/cwl/expr/evaluate.js';
import { ExpressionSyntaxError } from '../../../src/workflow/cwl/expr/scan.js';
import type { FuzzTarget } from '../target.js';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const context = { inputs: { f: { class: 'File', path: '/d/f.txt', basename: 'f.txt' }, xs: [1, [2, 3]], 'a b': 'x', n: null }, self: [{ a: 1 }], runtime: { outdir: '/o', cores: 1 } };

export const targets: FuzzTarget[] = [
  {
    name: 'cwl-param-ref',
    seeds: () =>
      ['$(inputs.f.basename)', 'a $(inputs.xs[1][0]) b $(runtime.outdir)/x', "$(inputs['a b'].length)", '\\$(no) $(self[0].a)', '$(inputs.n.x)', '${ return 1 }', '$(inputs.xs["1"])'].map(utf8),
    run: (input) => evaluate(Buffer.from(input).toString('utf8'), context, {}),
    isOwnError: (e) => e instanceof ExpressionError || e instanceof ExpressionSyntaxError,
  },
];
