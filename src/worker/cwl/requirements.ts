/**
 * The requirements in force for one process run (CWL v1.2 § "Requirements
 * and hints"): inherited ones first, then the process's own; the last of a
 * class wins, and a requirement wins over a hint. A requirement this runner
 * does not know is refused (exit 33 through the runner); an unknown hint is
 * ignored.
 */
import { SUPPORTED_REQUIREMENTS, UnsupportedRequirementError, type CwlProcess, type CwlRequirement } from '../../workflow/cwl/model.js';
import { ExpressionSandbox } from '../../workflow/cwl/expr/sandbox.js';
import type { Evaluator } from '../../workflow/cwl/expr/evaluate.js';

export class Reqs {
  constructor(
    readonly list: readonly CwlRequirement[],
    readonly hints: readonly CwlRequirement[],
  ) {}

  /** The requirements of `proc` run inside a parent with `this` in force. */
  child(proc: { requirements: readonly CwlRequirement[]; hints: readonly CwlRequirement[] }): Reqs {
    return new Reqs([...this.list, ...proc.requirements], [...this.hints, ...proc.hints]);
  }

  get(cls: string): CwlRequirement | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.class === cls) return this.list[i];
    for (let i = this.hints.length - 1; i >= 0; i--) if (this.hints[i]!.class === cls) return this.hints[i];
    return undefined;
  }

  /** Refuses requirements this runner cannot meet (the process's own and inherited ones). */
  check(proc: CwlProcess): void {
    for (const r of this.list) {
      if (!SUPPORTED_REQUIREMENTS.has(r.class)) throw new UnsupportedRequirementError(`${proc.at}: requirement ${r.class} is not supported by sealflow; drop it or make it a hint`);
      if (r.class === 'DockerRequirement' && (r.dockerFile !== undefined || r.dockerLoad !== undefined || r.dockerImport !== undefined)) {
        throw new UnsupportedRequirementError(`${proc.at}: DockerRequirement builds or loads a container image; sealflow runs tools from the worker's fixed PATH (no containers yet)`);
      }
    }
  }

  /** A sandbox when InlineJavascriptRequirement is in force (with its expressionLib), else parameter references only. */
  async evaluator(): Promise<Evaluator & { dispose(): void }> {
    const js = this.get('InlineJavascriptRequirement');
    if (!js) return { dispose: () => undefined };
    const lib = Array.isArray(js.expressionLib) ? js.expressionLib.map(String) : [];
    const sandbox = await ExpressionSandbox.create(lib);
    return { js: sandbox, dispose: () => sandbox.dispose() };
  }
}
