/**
 * Names as the CLI spells them: functions and flags in kebab-case, GraphQL fields and args in lowerCamel
 * (Dagger's `strcase.ToKebab` / `strcase.ToLowerCamel`).
 */

const words = (name: string): Array<string> =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase())

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1)

/**
 * `withExec` → `with-exec`, `dockerConfig` → `docker-config`.
 *
 * @category combinators
 */
export const kebab = (name: string): string => words(name).join("-")

/**
 * `with-exec` → `withExec`, `my_mod` → `myMod`.
 *
 * @category combinators
 */
export const lowerCamel = (name: string): string =>
  words(name).map((word, i) => (i === 0 ? word : capitalize(word))).join("")

/**
 * `my-mod` → `MyMod`.
 *
 * @category combinators
 */
export const pascal = (name: string): string => words(name).map(capitalize).join("")
