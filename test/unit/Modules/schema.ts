/**
 * Test helpers: a schema built from API specs, executed in-process with a client context.
 */
import { Effect } from "effect"
import { graphql, type GraphQLError } from "graphql"
import type * as Api from "../../../src/Core/Api.js"
import * as Build from "../../../src/Core/Build.js"
import * as Query from "../../../src/Core/Query.js"
import * as Memo from "../../../src/Session/Memo.js"

export interface TestClient {
  readonly ctx: Api.ClientContext
  /** Runs a query; fails the test on errors unless `allowErrors`. */
  readonly run: (q: string) => Promise<{ data: any; errors: ReadonlyArray<GraphQLError> | undefined }>
  /** Runs a query and walks down single-key objects like the SDK does. */
  readonly leaf: (q: string) => Promise<unknown>
  readonly served: Array<Api.ApiSpec>
}

export const client = (specs: ReadonlyArray<Api.ApiSpec>, module?: unknown): TestClient => {
  const base = [Effect.runSync(Query.make), ...specs]
  const memo = Effect.runSync(Memo.make)
  const served: Array<Api.ApiSpec> = []
  let built = Build.build(base, memo)
  const session: Api.SessionOps = {
    id: "session",
    serve: (_clientId, spec) =>
      Effect.sync(() => {
        served.push(spec)
        built = Build.build([...base, ...served], memo)
      }),
    nestedClient: () => Effect.dieMessage("nestedClient is not available in unit tests")
  }
  const ctx: Api.ClientContext = {
    sessionId: "session",
    clientId: "client",
    workdir: "/",
    ...(module === undefined ? {} : { module }),
    session,
    load: (id) => built.load(id, ctx)
  }
  const run = async (q: string) => {
    const r = await graphql({ schema: built.schema, source: q, contextValue: { client: ctx } })
    return { data: r.data as any, errors: r.errors }
  }
  const leaf = async (q: string) => {
    const r = await run(q)
    if (r.errors !== undefined) throw new Error(`${q}: ${r.errors.map((e) => e.message).join("; ")}`)
    let v: unknown = r.data
    while (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v)
      if (keys.length !== 1) throw new Error(`more than one key in ${JSON.stringify(v)}`)
      v = (v as Record<string, unknown>)[keys[0]!]
    }
    return v
  }
  return { ctx, run, leaf, served }
}
