/**
 * The `CacheVolume` type, the root `cacheVolume` field and the `CacheSharingMode` enum.
 *
 * A cache volume is a Docker named volume (see `src/Dag/internal/CacheVolumes.ts`): its contents persist across
 * execs, sessions and engines, and are not part of any exec's identity.
 */
import { Effect, Either, Option } from "effect"
import * as Owner from "../Dag/Owner.js"
import * as Api from "./Api.js"
import type { DirectoryState } from "./State.js"
import { invalid } from "./Errors.js"
import type * as Op from "../Dag/Op.js"

/**
 * @category models
 */
export interface CacheVolumeState {
  readonly key: string
  /** Defaults for `withMountedCache` given to `cacheVolume`. */
  readonly source?: Op.Op | undefined
  readonly sharing?: "SHARED" | "PRIVATE" | "LOCKED" | undefined
  readonly owner?: string | undefined
}

/**
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  enums: [
    {
      name: "CacheSharingMode",
      doc: "Sharing mode of the cache volume.",
      values: [
        { name: "SHARED", doc: "Shares the cache volume amongst many build pipelines" },
        { name: "PRIVATE", doc: "Keeps a cache volume for a single build pipeline" },
        { name: "LOCKED", doc: "Shares the cache volume amongst many build pipelines, but will serialize the writes" }
      ]
    }
  ],
  objects: [
    {
      name: "Query",
      doc: "The root of the API.",
      fields: {
        cacheVolume: {
          kind: "chain",
          type: "CacheVolume!",
          doc: "Constructs a cache volume for a given cache key.",
          args: {
            key: { type: "String!", doc: "A string identifier to target this cache volume (e.g., \"modules-cache\")." },
            source: { type: "DirectoryID", doc: "Identifier of the directory to use as the cache volume's root." },
            sharing: { type: "CacheSharingMode", doc: "Sharing mode of the cache volume.", default: "SHARED" },
            owner: { type: "String", doc: "A user:group for the cache volume's contents when it is created (names resolved in the container's /etc/passwd and /etc/group when it is mounted).", default: "" }
          },
          run: (_p, a: { key: string; source?: Api.Value<DirectoryState> | null; sharing: "SHARED" | "PRIVATE" | "LOCKED"; owner: string }) =>
            a.key === ""
              ? Effect.fail(invalid("cacheVolume: the key must not be empty"))
              : a.owner !== "" && Either.isLeft(Owner.parse(a.owner))
              ? Effect.fail(invalid(`cacheVolume: ${Either.getLeft(Owner.parse(a.owner)).pipe(Option.getOrElse(() => ""))}`))
              : Effect.succeed(Api.state<CacheVolumeState>({
                key: a.key,
                source: a.source?.state.op,
                sharing: a.sharing,
                owner: a.owner
              }))
        }
      }
    },
    {
      name: "CacheVolume",
      doc: "A directory whose contents persist across runs.",
      fields: {}
    }
  ]
})
