/**
 * The tracing span of one op's run: named by the op's description (clipped), with its digest and session as
 * attributes. Values that may be secret are never attributes: descriptions hold an exec's args (secrets reach an
 * exec as files or env, not args), the rest are digests.
 */
import { Effect } from "effect"

/** Longest span name kept (a file op listing many paths is clipped). */
const maxName = 120

/**
 * The span name of an op described as `description`.
 *
 * @category combinators
 */
export const spanName = (description: string): string =>
  description.length <= maxName ? description : `${description.slice(0, maxName - 1)}…`

/**
 * Runs `self` in the span of the op `digest` (run on behalf of `session`, "" for none).
 *
 * @category combinators
 */
export const opSpan = (description: string, digest: string, session: string) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withSpan(self, spanName(description), {
    attributes: { "dirk.digest": digest, ...(session !== "" ? { "dirk.session": session } : {}) }
  })
