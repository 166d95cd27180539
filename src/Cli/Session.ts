/**
 * Runs CLI work inside one engine session: opens it, follows progress on stderr (unless quiet), gives a client.
 * The session (and whatever it started) ends when the work ends, fails or is interrupted.
 */
import { Effect } from "effect"
import type { EngineShape, SessionInfo } from "../Engine/Engine.js"
import { CliError } from "./CliError.js"
import type { CliIoShape } from "./CliIo.js"
import * as GraphQLClient from "./GraphQLClient.js"
import * as Progress from "./Progress.js"

/**
 * @category combinators
 */
export const withSession = <A, E, R>(
  engine: EngineShape,
  io: CliIoShape,
  options: { readonly progress: boolean; readonly explainCache?: boolean },
  use: (client: GraphQLClient.GraphQLClient, session: SessionInfo) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | CliError, R> =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* engine.openSession({ workdir: io.cwd }).pipe(
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: `cannot open a session: ${e.message}` }))
    )
    if (options.progress) yield* Effect.forkScoped(Progress.follow(session.events, io, { explainCache: options.explainCache === true }))
    const result = yield* use(GraphQLClient.make(session), session)
    // let the last progress lines through before the scope ends the follower (only when they are shown)
    if (options.progress) yield* Effect.sleep("20 millis")
    return result
  }))
