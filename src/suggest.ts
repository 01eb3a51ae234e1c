/** "Did you mean ...?" suggestions for misspelt keys, step ids, port ids and policy fields (used by every loader). */

/** Levenshtein edit distance, with an early exit once every cell of a row exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

/** Length of the common prefix of `a` and `b`, ignoring case. */
function commonPrefix(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i;
}

/**
 * The candidate nearest to `word`: a case-insensitive match; else the
 * nearest within edit distance `maxDistance` (2); else the one sharing the
 * longest stem with it — a common prefix of at least 4 characters and 60% of
 * the shorter word, which catches a singular for a plural or another form of
 * the same word (`retry` → `retries`, `deploy` → `deployments`). Undefined
 * when none is that close.
 */
export function nearest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDist = maxDistance + 1;
  let stem: string | undefined;
  let stemLength = 0;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(word, c, maxDistance);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
    const p = commonPrefix(word, c);
    if (p >= 4 && p >= 0.6 * Math.min(word.length, c.length) && p > stemLength) {
      stem = c;
      stemLength = p;
    }
  }
  return best ?? stem;
}

/** `; did you mean 'x'?` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : `; did you mean '${n}'?`;
}

/** `'a', 'b' and 'c'` for messages that list what is valid. */
export function listOf(items: readonly string[]): string {
  const q = items.map((i) => `'${i}'`);
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}
