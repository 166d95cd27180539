/**
 * The text replacement behind `File.withReplaced`, with Dagger's rules:
 * - matches are the non-overlapping occurrences of `search`, each on the line where it starts (1-based);
 * - with `firstFrom`, matches on lines before `firstFrom` are ignored, and only the part of the file from that line
 *   on is changed;
 * - no match: an error ("search string not found"), except with `all`, which then changes nothing;
 * - several matches without `all` or `firstFrom`: an error listing them; with `firstFrom` the first one is replaced.
 */
import { Either } from "effect"

/**
 * @category models
 */
export interface ReplaceOptions {
  readonly search: string
  readonly replacement: string
  readonly all: boolean
  readonly firstFrom?: number | undefined
}

/** Offset of the start of line `line` (1-based); the length of `text` when it has fewer lines. */
const lineOffset = (text: string, line: number): number => {
  let offset = 0
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", offset)
    if (nl === -1) return text.length
    offset = nl + 1
  }
  return offset
}

/**
 * Applies a replacement; the error is the message Dagger gives.
 *
 * @category combinators
 */
export const replace = (text: string, opts: ReplaceOptions): Either.Either<string, string> => {
  if (opts.search === "") return Either.left("search string must not be empty")
  if (opts.firstFrom !== undefined && opts.firstFrom < 1) {
    return Either.left(`firstFrom must be at least 1, got ${opts.firstFrom}`)
  }
  const start = opts.firstFrom === undefined ? 0 : lineOffset(text, opts.firstFrom)
  const head = text.slice(0, start)
  const tail = text.slice(start)
  const locations: Array<string> = []
  let line = opts.firstFrom ?? 1
  let scanned = 0
  for (let at = tail.indexOf(opts.search); at !== -1; at = tail.indexOf(opts.search, at + opts.search.length)) {
    for (let nl = tail.indexOf("\n", scanned); nl !== -1 && nl < at; nl = tail.indexOf("\n", nl + 1)) {
      line++
      scanned = nl + 1
    }
    const col = at - scanned
    locations.push(`line ${line} (${col}-${col + opts.search.length})`)
  }
  if (locations.length === 0) return opts.all ? Either.right(text) : Either.left("search string not found")
  if (opts.all) return Either.right(head + tail.split(opts.search).join(opts.replacement))
  if (opts.firstFrom === undefined && locations.length > 1) {
    return Either.left(`search string found multiple times: ${locations.join(", ")}`)
  }
  return Either.right(head + tail.replace(opts.search, () => opts.replacement))
}
