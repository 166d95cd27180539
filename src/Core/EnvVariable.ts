/**
 * The `EnvVariable` type: one environment variable of a container (`Container.envVariables`).
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"

/**
 * @category models
 */
export interface EnvVariableState {
  readonly name: string
  readonly value: string
}

type V = Api.Value<EnvVariableState>

/**
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  objects: [
    {
      name: "EnvVariable",
      doc: "An environment variable name and value.",
      fields: {
        name: { kind: "leaf", type: "String!", doc: "The environment variable name.", run: (v: V) => Effect.succeed(v.state.name) },
        value: { kind: "leaf", type: "String!", doc: "The environment variable value.", run: (v: V) => Effect.succeed(v.state.value) }
      }
    }
  ]
})
