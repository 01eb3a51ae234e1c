/**
 * Hand-picked YAML texts where a subset parser is likely to go wrong:
 * indicators where a key or value starts, white space that JavaScript trims
 * but YAML keeps, scalars at the edges of the core schema, flow collections
 * cut short or continued, duplicate keys. The differential test
 * (yaml-differential.test.ts) runs both parsers on each.
 */
export const TRICKY: readonly string[] = [
  ']:', '}:', ',:', '[a]: 1', '{a: 1}: 2', '#: 1', '&a: 1', '*a: 1', '!a: 1', '|: 1', '>: 1', '%: 1', '@: 1', '`: 1', '?: 1', ':: 1',
  'h:\n]:', 's:\n}:', 'e:\n,:\n',
  't: \x0b', 't: a\x0b', 'a: b\u00a0', 'a: b\u2028c', 'a: 1\u0085', 'a: \ufeff', '\ufeffa: 1', 'a: b\x00', 'a: b\x7f', 'a: b\u3000',
  "'a': 1", '? a\n: 1', 'a: -', 'a: - b', '- -', '- - - x', 'a: [b]c', 'a: {b}', 'a: "x" y', "a: 'x", 'a: #', 'a:#b', 'a: b:c', 'a: b: c',
  '- a: b\n  - c', 'a:\n - b\n- c', 'a: b\n c', 'a:\n  b\n', 'a: b #c\n  d', 'x: [a,\nb]', 'x: [a,\n b]', 'x: [a\n  , b]', 'x: {a: 1,\n  b}',
  'a: 0x', 'a: .', 'a: 1e', 'a: +.inf', 'a: 0o8', 'a: 1__0', 'a: 00', 'a: -0', 'a: 0.', 'a: 1.e5', 'a: 9007199254740993', 'a: 1e400', 'a: -.nan', 'a: 0x_1',
  "'': 1", '"": 1', '"\\x41": 1', 'a: "\\x41"', 'a: "\\U0001F600"', 'a: "\\e"', 'a: "\\N"', 'a: "\\_"', 'a: "\\u12"', 'a: "\\/"', "a: 'it''s'", "a: 'x''", 'a: "a\\', 'a: "\\"',
  'a: 1\na: 2', '{a: 1, a: 2}', 'a: {b: 1, b: 2}', 'a: [1, 1]', 'a: {b: }', 'a: [ , ]', 'a: [b,, c]', 'a: [b, ]', 'a: {, }', 'a: [[]]', 'a: [{}]', 'a: {b: [c, {d: e}]}',
  'null: 1', 'true: 1', '1: a', '~: a', 'a: &x', '<<: {a: 1}', 'a: *x', 'a: !!str 1', '--- a', '---\na: 1', 'a: 1\n...', '%YAML 1.2\n---\na: 1',
  'a:  b  ', 'a: b   # c', 'a: b#c', 'a: b #', 'a:\n\n\n  b: 1', 'a:\n  # c\n  b: 1\n c: 2', '- a\n -b', '-a: 1', '- a\n- ', '-\n-\n', 'a:\n-\n-',
  'a: [b]\n  c: d', 'a: [b] # c', 'a: [b] c', 'a: {b: c} d', 'a: "b" # c', 'a: "b"c', "k: 'a'b", 'a:\n  - b\n  -  c\n  -   - d',
  'key with spaces: v', 'k : v', 'k  :  v', 'k:v', 'http://x: 1', 'a: http://x:80/y', 'a: -1: 2', 'a: [b: c]', 'a: [b: c, d]', 'a: [? b]', 'a: {b, c}',
];
