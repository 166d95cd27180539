/**
 * Sizes as people write them: `500`, `512KB`, `1.5GiB`, `10g` (decimal units for `kB`/`MB`/`GB`/`TB`, binary for
 * `KiB`/`MiB`/`GiB`/`TiB` and the bare letters `k`/`m`/`g`/`t`, as Docker's own size flags read them).
 */

const units: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4
}

/**
 * Parses a size into bytes, or says what is wrong with it.
 *
 * @category parsing
 */
export const parse = (text: string): number | { readonly error: string } => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = m === null ? undefined : units[m[2]!.toLowerCase()]
  if (m === null || unit === undefined) {
    return { error: `${JSON.stringify(text)} is not a size (e.g. 500MB, 10GiB, 2g, 1048576)` }
  }
  return Math.floor(Number(m[1]) * unit)
}

/**
 * Bytes for people: `1.5 GiB`, `312 MiB`, `12 KiB`, `100 B`.
 *
 * @category getters
 */
export const format = (bytes: number): string => {
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"]
  let v = bytes
  let i = 0
  while (v >= 1024 && i < steps.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${steps[i]}`
}
