/**
 * "Did you mean …?" for unknown flags and functions, as cobra suggests: the candidates within a small edit distance
 * of the word (Levenshtein, at most 2, or a third of the word for long words), or that start with it.
 */

/**
 * The Levenshtein distance between two strings (insertions, deletions and substitutions cost 1).
 *
 * @category combinators
 */
export const distance = (a: string, b: string): number => {
  if (a === b) return 0
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidates close to `word`, nearest first (ties keep the candidates' order). Case does not count.
 *
 * @category combinators
 */
export const suggestions = (word: string, candidates: ReadonlyArray<string>): ReadonlyArray<string> => {
  const w = word.toLowerCase()
  if (w === "") return []
  const limit = Math.max(2, Math.floor(w.length / 3))
  return candidates
    .map((c, i) => ({ c, i, d: distance(w, c.toLowerCase()) }))
    .filter(({ c, d }) => d <= limit || (w.length >= 2 && c.toLowerCase().startsWith(w)))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .map(({ c }) => c)
}

/**
 * `; did you mean --source?` (with `prefix` `--`), or `""` when nothing is close.
 *
 * @category combinators
 */
export const didYouMean = (word: string, candidates: ReadonlyArray<string>, prefix = ""): string => {
  const found = suggestions(word, candidates).slice(0, 3)
  if (found.length === 0) return ""
  return `; did you mean ${found.map((c) => `${prefix}${c}`).join(" or ")}?`
}
