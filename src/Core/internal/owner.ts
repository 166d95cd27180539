/**
 * The `owner` argument of Container and Directory fields, checked when the field is called and turned into the
 * `FileOwner` the ops carry (names are resolved when the op runs, see `src/Dag/internal/Owners.ts`).
 */
import { Effect, Either } from "effect"
import type * as Op from "../../Dag/Op.js"
import * as Owner from "../../Dag/Owner.js"
import { invalid, type QueryError } from "../Errors.js"
import type { ContainerState } from "../State.js"

/**
 * A Container field's owner: names are looked up in the container's `/etc/passwd` and `/etc/group` as its rootfs is
 * at this point of the chain. `undefined` for "" (no owner).
 */
export const ofContainer = (
  field: string,
  s: ContainerState,
  owner: string | null | undefined
): Effect.Effect<Op.FileOwner | undefined, QueryError> => {
  if (owner === undefined || owner === null || owner === "") return Effect.succeed(undefined)
  const spec = Owner.parse(owner)
  if (Either.isLeft(spec)) return Effect.fail(invalid(`${field}: ${spec.left}`))
  return Effect.succeed(Owner.hasNames(spec.right) ? { spec: owner, names: s.rootfs } : { spec: owner })
}

/**
 * A Directory field's owner: numbers only (a Directory has no `/etc/passwd`). `undefined` for "" (no owner).
 */
export const ofDirectory = (field: string, owner: string | null | undefined): Effect.Effect<Op.FileOwner | undefined, QueryError> => {
  if (owner === undefined || owner === null || owner === "") return Effect.succeed(undefined)
  const ids = Owner.numeric(owner)
  return Either.isLeft(ids) ? Effect.fail(invalid(`${field}: ${ids.left}`)) : Effect.succeed({ spec: owner })
}

/** `{ owner }` when there is one (for spreading into a file action). */
export const field = (owner: Op.FileOwner | undefined): { readonly owner?: Op.FileOwner } =>
  owner === undefined ? {} : { owner }
