// greeter-lib: small string utilities. Plain ESM, no dependencies.

/**
 * Greets someone: greet("Ada") → "Hello, Ada!"; an empty name greets the world.
 * @param {string} name
 * @param {{ greeting?: string, shout?: boolean }} [options]
 */
export function greet(name, options = {}) {
  const who = name.trim() === "" ? "world" : name.trim()
  const text = `${options.greeting ?? "Hello"}, ${who}!`
  return options.shout ? text.toUpperCase() : text
}

/**
 * "hello world" → "Hello World"
 * @param {string} text
 */
export function titleCase(text) {
  return text.replace(/\b([a-z])/g, (c) => c.toUpperCase())
}

/**
 * "Hello, World!" → "hello-world"
 * @param {string} text
 */
export function slugify(text) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
}

/**
 * Reverses by code points (keeps emoji intact).
 * @param {string} text
 */
export function reverse(text) {
  return [...text].reverse().join("")
}

/**
 * Shortens to at most `max` characters, ending with "…" when cut.
 * @param {string} text
 * @param {number} max
 */
export function truncate(text, max) {
  if (max < 1) throw new RangeError("max must be at least 1")
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "…"
}
