/**
 * The result of `dirk call`, printed by its return type (reference §5): strings raw, other scalars plain, lists one
 * item per line, Void nothing, objects `<Type>@sha256:<first 12 hex of sha256(ID)>`, `--json` pretty JSON.
 */
import { createHash } from "node:crypto"
import type { ReturnSpec } from "./TypeInfo.js"

/**
 * Hex digits of the digest shown after `<Type>@sha256:`.
 *
 * @category models
 */
export const digestLength = 12

/**
 * `Directory@sha256:0123456789ab`: the type and the sha256 of the ID string (shortened).
 *
 * @category combinators
 */
export const objectRef = (typeName: string, id: string): string =>
  `${typeName}@sha256:${createHash("sha256").update(id).digest("hex").slice(0, digestLength)}`

const scalarText = (value: unknown): string =>
  typeof value === "string" ? value : value === null || value === undefined ? "" : typeof value === "object"
    ? JSON.stringify(value)
    : String(value)

/**
 * Text for stdout (no trailing newline is added; `withNewline` adds one on a terminal).
 *
 * @category combinators
 */
export const format = (returns: ReturnSpec, value: unknown, options: { readonly json: boolean }): string => {
  if (returns._tag === "Void") return ""
  if (options.json) return JSON.stringify(value ?? null, null, 2) + "\n"
  if (value === null || value === undefined) return ""
  switch (returns._tag) {
    case "Scalar":
    case "Enum":
      return scalarText(value)
    case "Object":
      return objectRef(returns.name, scalarText(value))
    case "List": {
      const items = Array.isArray(value) ? value : [value]
      const inner = returns.of
      return items
        .map((item) => inner._tag === "Object" ? `- ${objectRef(inner.name, scalarText(item))}` : format(inner, item, options))
        .join("\n")
    }
  }
}

/**
 * Adds a final newline when output goes to a terminal (as Dagger does).
 *
 * @category combinators
 */
export const withNewline = (text: string, isTTY: boolean): string =>
  isTTY && text !== "" && !text.endsWith("\n") ? text + "\n" : text

/**
 * Table of `Name  Description` rows, columns aligned.
 *
 * @category combinators
 */
export const table = (header: readonly [string, string], rows: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(header[0].length, ...rows.map(([name]) => name.length))
  return [header, ...rows].map(([name, description]) => `${name.padEnd(width)}   ${description}`.trimEnd()).join("\n") +
    "\n"
}
