/**
 * The `Label` type: one label of a container's image config (`Container.labels`).
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"

/**
 * @category models
 */
export interface LabelState {
  readonly name: string
  readonly value: string
}

type V = Api.Value<LabelState>

/**
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  objects: [
    {
      name: "Label",
      doc: "A simple key value object that represents a label.",
      fields: {
        name: { kind: "leaf", type: "String!", doc: "The label name.", run: (v: V) => Effect.succeed(v.state.name) },
        value: { kind: "leaf", type: "String!", doc: "The label value.", run: (v: V) => Effect.succeed(v.state.value) }
      }
    }
  ]
})
