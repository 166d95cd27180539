/**
 * Name conversions between module typedefs and the GraphQL schema (Dagger's `strcase` rules, approximately):
 * object and enum types are PascalCase, fields and arguments lowerCamelCase, and a module's non-main types are
 * namespaced by the module name.
 */

const words = (input: string): ReadonlyArray<string> =>
  input
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)
    .filter((w) => w.length > 0)

const capitalize = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1)

/**
 * `my-mod` → `MyMod`, `hello_world` → `HelloWorld`, `helloWorld` → `HelloWorld`, `HTTPServer` → `HTTPServer`.
 *
 * @category naming
 */
export const pascal = (input: string): string => words(input).map(capitalize).join("")

/**
 * `HelloWorld` → `helloWorld`, `my-mod` → `myMod`, `HTTPServer` → `httpServer`, `URL` → `url`.
 *
 * @category naming
 */
export const lowerCamel = (input: string): string => {
  const ws = words(input)
  return ws.map((w, i) => (i === 0 ? w.toLowerCase() : capitalize(w))).join("")
}

/** Case- and separator-insensitive comparison key. */
const key = (s: string): string => s.replace(/[^A-Za-z0-9]/g, "").toLowerCase()

/**
 * Whether an object typedef name is the module's main object (`Greeter` for module `greeter`).
 *
 * @category naming
 */
export const isMainObject = (moduleName: string, objectName: string): boolean => key(moduleName) === key(objectName)

/**
 * The GraphQL name of a module's type: the main object is named after the module; any other type is prefixed with
 * the module name unless its name already starts with it at a word boundary (`namespaceObject` upstream).
 *
 * @category naming
 */
export const namespaced = (moduleName: string, typeName: string): string => {
  const mod = pascal(moduleName)
  const name = pascal(typeName)
  if (isMainObject(moduleName, typeName)) return mod
  if (name.startsWith(mod) && (name.length === mod.length || /[A-Z0-9]/.test(name.charAt(mod.length)))) return name
  return mod + name
}

/** A GraphQL enum value name that follows the convention already: upper case, digits and underscores. */
const conventionalEnumMember = /^[A-Z_][A-Z0-9_]*$/

/**
 * The GraphQL name of a module enum member (Dagger's `strcase.ToScreamingSnake`, unless the name already is
 * conventional): `Low` → `LOW`, `veryHigh` → `VERY_HIGH`, `HTTPServer` → `HTTP_SERVER`, `VERY_HIGH` stays. The
 * module keeps its own names: the engine passes and reads member names as the SDK declared them.
 *
 * @category naming
 */
export const enumMember = (name: string): string => {
  if (conventionalEnumMember.test(name)) return name
  const upper = words(name).map((w) => w.toUpperCase()).join("_")
  if (upper === "") return name
  return /^[0-9]/.test(upper) ? `_${upper}` : upper
}
