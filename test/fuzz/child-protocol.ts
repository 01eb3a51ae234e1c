/** Messages between the fuzz runner (run.ts) and the process a target runs in (child.ts). */

export type ChildRequest =
  /** Load the target `name` from the compiled target file `file`. */
  | { readonly type: 'init'; readonly file: string; readonly name: string }
  /** Run inputs start, start+1, … in order; a result per input. */
  | { readonly type: 'batch'; readonly start: number; readonly inputs: readonly Uint8Array[]; readonly hangMs: number };

export type Verdict =
  /** `run` returned. */
  | 'accepted'
  /** `run` threw an error `isOwnError` accepts. */
  | 'refused'
  /** `run` threw something else: a bug. */
  | 'foreign'
  /** `run` ended but used more CPU time than the hang limit. */
  | 'slow';

export type ChildResult =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly detail: string }
  | { readonly type: 'result'; readonly i: number; readonly verdict: Verdict; readonly detail?: string };
