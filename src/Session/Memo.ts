/**
 * The engine-wide memo of API values by call digest: concurrent requests share one computation, failures and
 * interruptions are not kept.
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import type { Memo } from "../Core/Build.js"
import type { ApiError } from "../Core/Errors.js"

/**
 * @category constructors
 */
export const make = Effect.sync((): Memo => {
  const entries = new Map<string, Deferred.Deferred<unknown, ApiError>>()
  return <A>(key: string, compute: Effect.Effect<A, ApiError>): Effect.Effect<A, ApiError> =>
    Effect.suspend(() => {
      const hit = entries.get(key)
      if (hit !== undefined) return Deferred.await(hit) as Effect.Effect<A, ApiError>
      // created and registered synchronously, so no other fiber can start the same computation in between
      const deferred = Deferred.unsafeMake<unknown, ApiError>(FiberId.none)
      entries.set(key, deferred)
      return compute.pipe(
        Effect.onExit((exit) => {
          if (Exit.isFailure(exit)) entries.delete(key)
          return Deferred.done(deferred, exit)
        })
      )
    })
})
