/**
 * The nesting limit every YAML file sealflow reads goes through (workflow,
 * inputs, run configuration, tools, attestation policy) before any parser
 * sees it. Both YAML parsers recurse once per level, so a hostile file of a
 * few thousand `[` or `- ` would otherwise end in a stack overflow. This is
 * one linear pass over the text, with no recursion, that over-estimates the
 * nesting depth (it never under-counts what a parser would recurse on):
 *
 * - block nesting: the stack of indentation columns of open lines (inside
 *   flow collections too), plus one level per `- ` / `? ` on the same line;
 * - flow nesting: `[` and `{` that start a token, outside quoted scalars and
 *   comments; in a flow collection every bracket counts;
 * - block scalars (`|`, `>`) and comments are skipped; anchors and tags
 *   (`&a`, `!t`) are skipped where they stand before a node.
 *
 * By this count the examples nest at most 6 levels and the CWL conformance
 * suite's packed files 19; 100 leaves room for generated files and stays
 * far below any stack limit.
 */

/** Deepest nesting accepted in any YAML file. */
export const MAX_YAML_DEPTH = 100;

/** What a user reads after `file:line:column: `. */
export const TOO_DEEP = `the YAML nests deeper than ${MAX_YAML_DEPTH} levels here; no sealflow file needs that many: flatten the structure, or close the '[' or '{' left open`;

const SPACE = 32;
const LF = 10;

/** Where the nesting first passes `max` (an offset into `text`), or -1 when it never does. */
export function yamlTooDeepAt(text: string, max: number = MAX_YAML_DEPTH): number {
  const n = text.length;
  const indents: number[] = [];
  let flow = 0;
  /** Indentation of the line that opened a block scalar, or -1. */
  let blockScalarParent = -1;
  /** Indentation of the block scalar's first content line (its content indentation), or -1 before it. */
  let blockScalarIndent = -1;
  let i = 0;
  while (i < n) {
    // Start of a line.
    const start = i;
    while (i < n && text.charCodeAt(i) === SPACE) i++;
    const col = i - start;
    const c = text.charCodeAt(i);
    if (i >= n) break;
    if (blockScalarParent >= 0) {
      // Content lines are indented at least as much as the first one; a line indented less ends the scalar.
      if (blockScalarIndent < 0 && c !== LF && col > blockScalarParent) blockScalarIndent = col;
      if (c === LF || (blockScalarIndent >= 0 && col >= blockScalarIndent)) {
        i = lineEnd(text, i) + 1;
        continue;
      }
      blockScalarParent = -1;
      blockScalarIndent = -1;
    }
    if (c === LF || c === 13 || c === 35) {
      i = lineEnd(text, i) + 1;
      continue;
    }
    // Indentation counts inside flow collections too: after an error there,
    // the `yaml` parser goes on building block collections from the lines.
    let depthOnLine = 0;
    while (indents.length > 0 && (indents[indents.length - 1] as number) > col) indents.pop();
    if (indents.length === 0 || (indents[indents.length - 1] as number) < col) indents.push(col);
    if (flow + indents.length > max) return i;
    // Scan the rest of the line.
    let tokenStart = true;
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch === LF) {
        i++;
        break;
      }
      if (ch === SPACE || ch === 9 || ch === 13) {
        i++;
        continue;
      }
      if (ch === 35 /* # */ && (i === 0 || isBlank(text.charCodeAt(i - 1)))) {
        i = lineEnd(text, i);
        continue;
      }
      if (ch === 34 /* " */ || ch === 39 /* ' */) {
        if (tokenStart) {
          i = quotedEnd(text, i);
          tokenStart = false;
          continue;
        }
      } else if (ch === 91 /* [ */ || ch === 123 /* { */) {
        if (tokenStart || flow > 0) {
          flow++;
          if (flow + indents.length + depthOnLine > max) return i;
          i++;
          tokenStart = true;
          continue;
        }
      } else if (ch === 93 /* ] */ || ch === 125 /* } */) {
        if (flow > 0) {
          flow--;
          i++;
          tokenStart = false;
          continue;
        }
      } else if (ch === 44 /* , */ && flow > 0) {
        i++;
        tokenStart = true;
        continue;
      } else if (tokenStart && (ch === 38 /* & */ || ch === 33 /* ! */)) {
        // An anchor or a tag before a node: the node starts after it.
        while (i < n && !isBlank(text.charCodeAt(i)) && text.charCodeAt(i) !== LF) i++;
        continue;
      } else if (tokenStart && flow === 0 && (ch === 124 /* | */ || ch === 62 /* > */)) {
        blockScalarParent = col;
        i = lineEnd(text, i);
        continue;
      } else if ((ch === 45 /* - */ || ch === 63 /* ? */ || ch === 58 /* : */) && isBlankOrEnd(text, i + 1)) {
        // `- `, `? ` and `: ` open a nested node on the same line.
        if (ch !== 58) {
          depthOnLine++;
          if (flow + indents.length + depthOnLine > max) return i;
        }
        i++;
        tokenStart = true;
        continue;
      }
      // A plain scalar character; in a flow collection ':' may end a key.
      i++;
      tokenStart = false;
    }
  }
  return -1;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === 9 || c === LF || c === 13;
}

function isBlankOrEnd(t: string, i: number): boolean {
  return i >= t.length || isBlank(t.charCodeAt(i));
}

function lineEnd(t: string, i: number): number {
  const e = t.indexOf('\n', i);
  return e < 0 ? t.length : e;
}

/** Offset just past the quoted scalar at `i` (which may span lines), or the end of the text. */
function quotedEnd(t: string, i: number): number {
  const q = t.charCodeAt(i);
  for (let p = i + 1; p < t.length; p++) {
    const c = t.charCodeAt(p);
    if (q === 34 && c === 92 /* \ */) {
      p++;
      continue;
    }
    if (c === q) {
      if (q === 39 && t.charCodeAt(p + 1) === 39) {
        p++;
        continue;
      }
      return p + 1;
    }
  }
  return t.length;
}
