/**
 * What `dirk init` writes for a new module (as `dagger init` does): `dagger.json`, and for the TypeScript SDK
 * `package.json`, `tsconfig.json`, `.gitignore` and a `src/index.ts` whose main class has two example functions.
 * Pure: the command decides where the files go and refuses to overwrite a `dagger.json`.
 */
import * as Naming from "./Naming.js"

/**
 * The image the template's functions run in: the one dirk runs TypeScript modules in (`DIRK_NODE_IMAGE`'s
 * default), so it is on every machine that runs the module and nothing is pulled (Dagger's template uses
 * `alpine:latest`).
 *
 * @category constants
 */
export const templateImage = "dirk.local/node:20"

/**
 * The SDK `source` directory for a module created in a directory holding `entries` (its names): `.dagger` when it
 * already has non-hidden files or a `.dagger` directory, else `.` (as `dagger init`).
 *
 * @category combinators
 */
export const defaultSource = (entries: ReadonlyArray<string>): string =>
  entries.some((name) => !name.startsWith(".") || name === ".dagger") ? ".dagger" : "."

/**
 * `dagger.json` (with a trailing newline). Without an SDK it is a module with no code (`name` and
 * `engineVersion`, plus `source` when one was asked for).
 *
 * @category constructors
 */
export const daggerJson = (options: {
  readonly name: string
  readonly sdk: string | undefined
  readonly source: string | undefined
  readonly engineVersion: string
}): string =>
  JSON.stringify(
    {
      name: options.name,
      engineVersion: options.engineVersion,
      ...(options.sdk !== undefined ? { sdk: { source: options.sdk } } : {}),
      ...(options.source !== undefined ? { source: options.source } : {})
    },
    null,
    2
  ) + "\n"

/**
 * `package.json` of a TypeScript module: an ES module depending on the SDK the engine runs it with.
 *
 * @category constructors
 */
export const packageJson = (sdkVersion: string): string =>
  JSON.stringify({ type: "module", dependencies: { "@dagger.io/dagger": sdkVersion } }, null, 2) + "\n"

/**
 * `tsconfig.json` as upstream's default (legacy decorators, strict), resolving `@dagger.io/dagger` from
 * `node_modules` (linked by `dirk develop`).
 *
 * @category constructors
 */
export const tsconfigJson: string = JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "ES2022",
      moduleResolution: "Node",
      experimentalDecorators: true,
      strict: true,
      skipLibCheck: true
    }
  },
  null,
  2
) + "\n"

/**
 * `.gitignore`: what `dirk develop` generates.
 *
 * @category constructors
 */
export const gitignore = "/node_modules/\n"

/**
 * `src/index.ts`: the main object `PascalCase(name)` with `containerEcho` and `grepDir`.
 *
 * @category constructors
 */
export const indexTs = (name: string): string => `/**
 * A module created by \`dirk init\`: a place to start. Its functions are called from the command line with
 *
 *   dirk call container-echo --string-arg hello stdout
 *   dirk call grep-dir --directory-arg . --pattern TODO
 *
 * \`dirk functions\` lists them; \`dirk develop\` sets up node_modules for your editor and \`tsc\`.
 */
import { Container, dag, Directory, func, object } from "@dagger.io/dagger"

/**
 * The image the functions run in. This is the image dirk runs TypeScript modules in, so it is already on the
 * machine; any image works, e.g. "alpine:latest".
 */
const IMAGE = ${JSON.stringify(templateImage)}

@object()
export class ${Naming.pascal(name)} {
  /**
   * Returns a container that echoes whatever string argument is given
   */
  @func()
  containerEcho(stringArg: string): Container {
    return dag.container().from(IMAGE).withExec(["echo", stringArg])
  }

  /**
   * Returns the lines that match a pattern in the files of the given directory
   */
  @func()
  async grepDir(directoryArg: Directory, pattern: string): Promise<string> {
    return dag
      .container()
      .from(IMAGE)
      .withMountedDirectory("/mnt", directoryArg)
      .withWorkdir("/mnt")
      .withExec(["grep", "-R", pattern, "."])
      .stdout()
  }
}
`

/**
 * The files of a TypeScript module's source directory, by path relative to it.
 *
 * @category constructors
 */
export const typescriptFiles = (name: string, sdkVersion: string): ReadonlyArray<readonly [string, string]> => [
  ["package.json", packageJson(sdkVersion)],
  ["tsconfig.json", tsconfigJson],
  [".gitignore", gitignore],
  ["src/index.ts", indexTs(name)]
]

/**
 * `src/index.ts` of a new Effect SDK module (`"sdk": "effect"`): one function that runs a container, one pure one.
 *
 * @category constructors
 */
export const effectIndexTs = (name: string): string => `/**
 * A module written with Effect: functions declared with Effect Schema, implemented as Effects that use dirk's typed
 * client. Try it: dirk call hello --name you
 */
import { Effect, Schema } from "effect"
import { Container, Directory } from "dirk/client"
import * as Module from "dirk/module"

const IMAGE = ${JSON.stringify(templateImage)}

export default Module.make(${JSON.stringify(name)}, {
  functions: {
    hello: Module.fn({
      description: "Says hello",
      args: { name: Schema.String.annotations({ description: "Who to greet" }) },
      returns: Schema.String,
      run: ({ name }) => Effect.succeed(\`hello, \${name}!\`)
    }),

    grepDir: Module.fn({
      description: "Returns lines that match a pattern in the files of the provided directory",
      args: { directoryArg: Module.Directory, pattern: Schema.String },
      returns: Schema.String,
      run: ({ directoryArg, pattern }) =>
        Container.from(IMAGE).pipe(
          Container.withMountedDirectory("/mnt", directoryArg),
          Container.withWorkdir("/mnt"),
          Container.withExec(["grep", "-R", pattern, "."]),
          Container.stdout
        )
    }),

    listFiles: Module.fn({
      description: "The entries of a directory",
      args: { dir: Module.Directory },
      returns: Schema.Array(Schema.String),
      run: ({ dir }) => Directory.entries()(dir)
    })
  }
})
`

/**
 * `tsconfig.json` of an Effect SDK module (`effect` and `dirk` resolved from `node_modules`, linked by
 * `dirk develop`).
 *
 * @category constants
 */
export const effectTsconfigJson = JSON.stringify(
  { compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true } },
  null,
  2
) + "\n"

/**
 * The files of an Effect SDK module's source directory, by path relative to it. Its package.json declares no
 * dependency: `effect` and `dirk` are the engine's own (the runtime mounts them).
 *
 * @category constructors
 */
export const effectFiles = (name: string): ReadonlyArray<readonly [string, string]> => [
  ["package.json", JSON.stringify({ type: "module" }, null, 2) + "\n"],
  ["tsconfig.json", effectTsconfigJson],
  [".gitignore", gitignore],
  ["src/index.ts", effectIndexTs(name)]
]
