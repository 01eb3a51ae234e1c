/**
 * A small, position-carrying YAML tree: what the loaders read. Both parsers
 * produce it — `fast-yaml.ts` for the plain subset workflow files use, and
 * `yaml-full.ts` (the `yaml` package, converted) for everything else and for
 * error messages.
 */

export interface YScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  /** Offset of the node's first character in the source text. */
  readonly offset: number;
  /** The source text of a plain scalar read as a number or boolean (`-1`, `08`, `1.0`), for places that want text. */
  readonly source?: string;
}
export interface YPair {
  readonly key: YScalar;
  readonly value: YNode;
}
export interface YMap {
  readonly kind: 'map';
  readonly pairs: readonly YPair[];
  readonly offset: number;
}
export interface YSeq {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
  readonly offset: number;
}
export type YNode = YScalar | YMap | YSeq;

/** The plain JS value of a node. */
export function toJS(n: YNode): unknown {
  switch (n.kind) {
    case 'scalar':
      return n.value;
    case 'seq':
      return n.items.map(toJS);
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const p of n.pairs) o[String(p.key.value)] = toJS(p.value);
      return o;
    }
  }
}

/** Thrown by `fromDocument` for YAML this loader does not accept (complex keys, alias loops). */
export class UnsupportedYaml extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

