/**
 * `dirk/client`: dirk from an Effect program. Pipelines are values built with data-last combinators
 * (`Container.from("alpine").pipe(Container.withExec(["ls"]), Container.stdout)`); their leaves are Effects that
 * need a `DirkClient`, which a layer gives (`DirkClient.layerEmbedded`, `layerRemote`, `layerFromEnv`). See
 * docs/effect.md.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as DirkClient from "./DirkClient.js"
/** @since 0.1.0 */
export * as DirkError from "./DirkError.js"
/** @since 0.1.0 */
export * as TestRuntime from "./TestRuntime.js"
/** @since 0.1.0 */
export * from "./generated/index.js"
