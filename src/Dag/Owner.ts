/**
 * Owners of written files: Dagger's `owner` argument (`user[:group]`, each a name or a number) parsed, and resolved
 * against the `/etc/passwd` and `/etc/group` of a container's rootfs.
 *
 * Rules (as Dagger): `user` alone means the user's primary group (its gid in `/etc/passwd`); a numeric user without a
 * group means gid = uid; a name that is not in the files is an error naming it. Without a rootfs (Directory fields)
 * only numbers can be resolved.
 */
import { Either } from "effect"

/**
 * A user or a group: a number, or a name to look up.
 *
 * @category models
 */
export type Ref = { readonly _tag: "Id"; readonly id: number } | { readonly _tag: "Name"; readonly name: string }

/**
 * A parsed `owner` argument.
 *
 * @category models
 */
export interface Spec {
  readonly user: Ref
  readonly group?: Ref | undefined
}

/**
 * A resolved owner.
 *
 * @category models
 */
export interface Ids {
  readonly uid: number
  readonly gid: number
}

/**
 * One line of `/etc/passwd` (the fields dirk needs).
 *
 * @category models
 */
export interface PasswdEntry {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

/**
 * One line of `/etc/group` (the fields dirk needs).
 *
 * @category models
 */
export interface GroupEntry {
  readonly name: string
  readonly gid: number
}

/** The largest id: uid_t and gid_t are 32-bit, and (uid_t)-1 means "unchanged" to chown. */
const maxId = 0xfffffffe

const idPattern = /^\d+$/
const namePattern = /^[^\s:/]+$/

const ref = (text: string, what: "user" | "group", owner: string): Either.Either<Ref, string> => {
  if (idPattern.test(text)) {
    const id = Number(text)
    return id <= maxId
      ? Either.right({ _tag: "Id", id })
      : Either.left(`owner ${JSON.stringify(owner)}: ${what} id ${text} is out of range (0-${maxId})`)
  }
  if (text === "") return Either.left(`owner ${JSON.stringify(owner)}: the ${what} is empty`)
  return namePattern.test(text)
    ? Either.right({ _tag: "Name", name: text })
    : Either.left(`owner ${JSON.stringify(owner)}: invalid ${what} name ${JSON.stringify(text)}`)
}

/**
 * Parses `user[:group]`. The error (a sentence naming the owner) says what is wrong. Never throws.
 *
 * @category parsing
 */
export const parse = (owner: string): Either.Either<Spec, string> => {
  const parts = owner.split(":")
  if (parts.length > 2) {
    return Either.left(`owner ${JSON.stringify(owner)}: expected user[:group], a name or a number each`)
  }
  const [u = "", g] = parts
  return Either.flatMap(ref(u, "user", owner), (user) =>
    g === undefined
      ? Either.right({ user })
      : Either.map(ref(g, "group", owner), (group): Spec => ({ user, group })))
}

/**
 * Whether a spec has a name in it (so it needs a container's `/etc/passwd` or `/etc/group`).
 *
 * @category guards
 */
export const hasNames = (spec: Spec): boolean => spec.user._tag === "Name" || spec.group?._tag === "Name"

/**
 * Resolves a spec that holds numbers only (a Directory's owner); a name is an error saying so.
 *
 * @category resolution
 */
export const numeric = (owner: string): Either.Either<Ids, string> =>
  Either.flatMap(parse(owner), (spec) => {
    const name = spec.user._tag === "Name" ? spec.user : spec.group?._tag === "Name" ? spec.group : undefined
    if (name !== undefined) {
      return Either.left(
        `owner ${JSON.stringify(owner)}: ${JSON.stringify(name.name)} is a name, but a Directory has no /etc/passwd ` +
          `or /etc/group to resolve it: use numbers (uid[:gid])`
      )
    }
    const uid = (spec.user as Extract<Ref, { _tag: "Id" }>).id
    return Either.right({ uid, gid: spec.group?._tag === "Id" ? spec.group.id : uid })
  })

const lines = (text: string): Array<Array<string>> =>
  text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l !== "" && !l.startsWith("#")).map((l) =>
    l.split(":")
  )

const num = (s: string | undefined): number | undefined =>
  s !== undefined && idPattern.test(s) && Number(s) <= maxId ? Number(s) : undefined

/**
 * The entries of an `/etc/passwd` file (`name:password:uid:gid:gecos:home:shell`); malformed lines are skipped.
 *
 * @category parsing
 */
export const parsePasswd = (text: string): Array<PasswdEntry> =>
  lines(text).flatMap((f) => {
    const uid = num(f[2])
    const gid = num(f[3])
    return f[0] !== undefined && f[0] !== "" && uid !== undefined && gid !== undefined
      ? [{ name: f[0], uid, gid }]
      : []
  })

/**
 * The entries of an `/etc/group` file (`name:password:gid:members`); malformed lines are skipped.
 *
 * @category parsing
 */
export const parseGroup = (text: string): Array<GroupEntry> =>
  lines(text).flatMap((f) => {
    const gid = num(f[2])
    return f[0] !== undefined && f[0] !== "" && gid !== undefined ? [{ name: f[0], gid }] : []
  })

/**
 * Resolves a spec with a container's `/etc/passwd` and `/etc/group` contents ("" when a file is missing). The first
 * matching line wins, as in libc.
 *
 * @category resolution
 */
export const resolve = (
  owner: string,
  spec: Spec,
  files: { readonly passwd: string; readonly group: string }
): Either.Either<Ids, string> => {
  const passwd = parsePasswd(files.passwd)
  const user: Either.Either<{ uid: number; primary: number }, string> = spec.user._tag === "Id"
    ? Either.right({ uid: spec.user.id, primary: spec.user.id })
    : ((name) => {
      const found = passwd.find((e) => e.name === name)
      return found === undefined
        ? Either.left(`owner ${JSON.stringify(owner)}: no such user ${JSON.stringify(name)} in /etc/passwd`)
        : Either.right({ uid: found.uid, primary: found.gid })
    })(spec.user.name)
  return Either.flatMap(user, ({ primary, uid }) => {
    const g = spec.group
    if (g === undefined) return Either.right({ uid, gid: primary })
    if (g._tag === "Id") return Either.right({ uid, gid: g.id })
    const found = parseGroup(files.group).find((e) => e.name === g.name)
    return found === undefined
      ? Either.left(`owner ${JSON.stringify(owner)}: no such group ${JSON.stringify(g.name)} in /etc/group`)
      : Either.right({ uid, gid: found.gid })
  })
}

/**
 * `uid:gid`.
 *
 * @category formatting
 */
export const format = (ids: Ids): string => `${ids.uid}:${ids.gid}`
