/**
 * Why an exec ran instead of coming from the cache: each run of an exec records its inputs under its site (where it
 * sits in its pipeline, `Op.exec`'s `site`); the next run at the same site compares its inputs with that record and
 * names what changed. Pure.
 */
import { createHash } from "node:crypto"
import type * as Op from "./Op.js"

/**
 * The inputs of one run of an exec. Values that may be sensitive (env values, stdin) are kept as hashes.
 *
 * @category models
 */
export interface ExecRecord {
  readonly digest: string
  readonly rootfs: string
  readonly mounts: Readonly<Record<string, string>>
  readonly args: ReadonlyArray<string>
  /** Name → hash of the value. */
  readonly env: Readonly<Record<string, string>>
  readonly workdir: string
  readonly user: string
  readonly stdin: string
  readonly expect: string
  readonly caches: ReadonlyArray<string>
  readonly noCache: boolean
  /** Secret variables and mounted secrets (`env:NAME`, `file:/path`) → a hash of the secret's handle (optional: older records have none). */
  readonly secrets?: Readonly<Record<string, string>>
}

const h = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 16)

/**
 * @category constructors
 */
export const recordOf = (op: Extract<Op.Op, { _tag: "Exec" }>): ExecRecord => ({
  digest: op.digest,
  rootfs: op.rootfs.digest,
  mounts: Object.fromEntries(op.mounts.map((m) => [m.target, `${m.source.digest}:${m.sourcePath}:${m.readOnly ? "ro" : "rw"}`])),
  args: op.meta.args,
  env: Object.fromEntries(op.meta.env.map(([k, v]) => [k, h(v)])),
  workdir: op.meta.workdir,
  user: op.meta.user,
  stdin: h(op.meta.stdin),
  expect: op.meta.expect,
  caches: (op.meta.caches ?? []).map((c) => `${c.target}=${c.key}:${c.sharing}`),
  noCache: op.meta.nonce !== undefined,
  secrets: Object.fromEntries([
    ...(op.meta.secretEnv ?? []).map((e) => [`variable ${e.name}`, h(e.handle)] as const),
    ...(op.meta.secretMounts ?? []).map((m) => [`file ${m.target}`, h(m.handle)] as const)
  ])
})

const short = (d: string): string => d.replace(/^sha256:/, "").slice(0, 12)

/**
 * Why an exec with these inputs ran, against the previous run at its site (if any).
 *
 * @category getters
 */
export const explain = (previous: ExecRecord | undefined, current: ExecRecord): string => {
  if (current.noCache) return "noCache: it always runs"
  if (previous === undefined) return "first run of this step"
  if (previous.digest === current.digest) return "same inputs as its last run, but its result was not kept (removed by GC, or that run did not finish)"
  const why: Array<string> = []
  if (previous.rootfs !== current.rootfs) why.push(`its container changed (rootfs ${short(previous.rootfs)} → ${short(current.rootfs)}: an earlier step changed)`)
  for (const t of new Set([...Object.keys(previous.mounts), ...Object.keys(current.mounts)])) {
    const a = previous.mounts[t]
    const b = current.mounts[t]
    if (a === b) continue
    why.push(a === undefined ? `mount ${t} is new` : b === undefined ? `mount ${t} is gone` : `mount ${t} changed (${short(a)} → ${short(b)})`)
  }
  if (JSON.stringify(previous.args) !== JSON.stringify(current.args)) {
    why.push(`args changed (${JSON.stringify(previous.args)} → ${JSON.stringify(current.args)})`)
  }
  const envNames = [...new Set([...Object.keys(previous.env), ...Object.keys(current.env)])]
    .filter((k) => previous.env[k] !== current.env[k])
  if (envNames.length > 0) why.push(`env ${envNames.join(", ")} changed`)
  if (previous.workdir !== current.workdir) why.push(`workdir changed (${previous.workdir} → ${current.workdir})`)
  if (previous.user !== current.user) why.push(`user changed (${JSON.stringify(previous.user)} → ${JSON.stringify(current.user)})`)
  if (previous.stdin !== current.stdin) why.push("stdin changed")
  if (previous.expect !== current.expect) why.push(`expect changed (${previous.expect} → ${current.expect})`)
  if (JSON.stringify(previous.caches) !== JSON.stringify(current.caches)) why.push("cache mounts changed")
  const before = previous.secrets ?? {}
  const after = current.secrets ?? {}
  const secrets = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k])
  if (secrets.length > 0) why.push(`secret ${secrets.join(", ")} changed`)
  return why.length > 0 ? why.join("; ") : "its inputs changed"
}
