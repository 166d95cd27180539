/**
 * Helpers shared by the files that contribute `Container` fields.
 */
import { Effect } from "effect"
import * as Op from "../../Dag/Op.js"
import * as Api from "../Api.js"
import type { ContainerConfig, ContainerState, Mount } from "../State.js"
import { containerPath, expandVars, isUnder } from "./paths.js"

/** A Container value. */
export type C = Api.Value<ContainerState>

/** The state as a chain result. */
export const same = (s: ContainerState) => Effect.succeed(Api.state(s))

/** The state with some config changed (and no longer "directly after from"). */
export const withConfig = (s: ContainerState, config: Partial<ContainerConfig>): ContainerState => ({
  ...s,
  config: { ...s.config, ...config },
  imageRef: undefined
})

/** Sets (in place, as Dagger does), adds or (with `undefined`) removes a `name=value` pair. */
export const setPair = (
  pairs: ReadonlyArray<readonly [string, string]>,
  name: string,
  value: string | undefined
): ReadonlyArray<readonly [string, string]> => {
  if (value === undefined) return pairs.filter(([k]) => k !== name)
  return pairs.some(([k]) => k === name)
    ? pairs.map((kv) => (kv[0] === name ? [name, value] as const : kv))
    : [...pairs, [name, value] as const]
}

/** `p` with `${VAR}` expanded when `expand`. */
export const expandIf = (s: ContainerState, expand: boolean | undefined, p: string) =>
  expand ? expandVars(p, s.config.env) : p

/** An absolute container path for `p` (relative to the workdir). */
export const abs = (s: ContainerState, p: string, expand?: boolean) =>
  containerPath(s.config.workdir, expandIf(s, expand, p))

/** The state with file actions applied to its rootfs. */
export const addToRootfs = (s: ContainerState, ...actions: ReadonlyArray<Op.FileAction>): ContainerState => ({
  ...s,
  rootfs: Op.imageFile(s.rootfs, actions),
  imageRef: undefined
})

/** The mount that holds `path`, the innermost one when mounts nest. */
export const mountAt = (s: ContainerState, path: string): Mount | undefined =>
  [...s.mounts].sort((a, b) => b.target.length - a.target.length).find((m) => isUnder(path, m.target))

/** The state with `mount` replacing any mount at the same target. */
export const withMount = (s: ContainerState, mount: Mount): ContainerState => ({
  ...s,
  mounts: [...s.mounts.filter((m) => m.target !== mount.target), mount],
  imageRef: undefined
})
