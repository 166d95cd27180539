/**
 * IDs: immutable call chains that name every API object, with a content-addressed digest.
 *
 * A `CallId` is the field call that produced an object, on the object its `receiver` names (none for the root
 * `Query`). Arguments that are objects embed the argument's `CallId`. The digest is a sha256 over a canonical
 * encoding in which nested IDs are replaced by their digests, and in which a call that carries a `content` digest
 * (host-derived inputs such as `host.directory`) is named by that content alone.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { dual } from "effect/Function"

/**
 * An argument value as it is recorded in a call.
 *
 * @category models
 */
export type Literal =
  | { readonly _tag: "Null" }
  | { readonly _tag: "Bool"; readonly value: boolean }
  | { readonly _tag: "Int"; readonly value: number }
  | { readonly _tag: "Float"; readonly value: number }
  | { readonly _tag: "String"; readonly value: string }
  | { readonly _tag: "Enum"; readonly value: string }
  | { readonly _tag: "List"; readonly values: ReadonlyArray<Literal> }
  | { readonly _tag: "Object"; readonly fields: ReadonlyArray<Arg> }
  | { readonly _tag: "Id"; readonly id: CallId }

/**
 * A named argument of a call.
 *
 * @category models
 */
export interface Arg {
  readonly name: string
  readonly value: Literal
}

/**
 * One call of a chain.
 *
 * @category models
 */
export interface CallIdFields {
  /** The call that produced the receiver; `undefined` for a root (`Query`) field. */
  readonly receiver: CallId | undefined
  /** The field name. */
  readonly field: string
  /** The GraphQL type name of the result (`Container`, `Directory`, …). */
  readonly type: string
  /** The arguments, kept sorted by name. */
  readonly args: ReadonlyArray<Arg>
  /** 1-based index when a list-returning field yields one element. */
  readonly nth?: number | undefined
  /** A content digest that names the result by what it holds, not how it was made (host inputs). */
  readonly content?: string | undefined
  /** Identity of the module that implements this field, for module fields. */
  readonly module?: string | undefined
}

/**
 * An immutable call chain. Construct it with {@link make} or {@link append}.
 *
 * @category models
 */
export class CallId implements CallIdFields {
  readonly receiver: CallId | undefined
  readonly field: string
  readonly type: string
  readonly args: ReadonlyArray<Arg>
  readonly nth: number | undefined
  readonly content: string | undefined
  readonly module: string | undefined
  #digest: string | undefined

  constructor(fields: CallIdFields) {
    this.receiver = fields.receiver
    this.field = fields.field
    this.type = fields.type
    this.args = [...fields.args].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.nth = fields.nth
    this.content = fields.content
    this.module = fields.module
  }

  /** The sha256 digest of this call, `sha256:<hex>`. */
  get digest(): string {
    if (this.#digest === undefined) this.#digest = computeDigest(this)
    return this.#digest
  }

  /** A short human-readable rendering, for logs and errors: `container.from(address: "x").withExec(…)`. */
  toString(): string {
    return display(this)
  }
}

/**
 * @category constructors
 */
export const make = (fields: CallIdFields): CallId => new CallId(fields)

/**
 * A root (`Query`) field call.
 *
 * @category constructors
 */
export const root = (field: string, type: string, args: ReadonlyArray<Arg> = []): CallId =>
  new CallId({ receiver: undefined, field, type, args })

/**
 * Extends a chain with a field call on the object that `self` names.
 *
 * @category combinators
 */
export const append: {
  (field: string, type: string, args?: ReadonlyArray<Arg>): (self: CallId) => CallId
  (self: CallId, field: string, type: string, args?: ReadonlyArray<Arg>): CallId
} = dual(
  (args) => args[0] instanceof CallId,
  (self: CallId, field: string, type: string, args: ReadonlyArray<Arg> = []): CallId =>
    new CallId({ receiver: self, field, type, args })
)

/**
 * The same call with a content digest attached.
 *
 * @category combinators
 */
export const withContent: {
  (content: string): (self: CallId) => CallId
  (self: CallId, content: string): CallId
} = dual(2, (self: CallId, content: string): CallId => new CallId({ ...fieldsOf(self), content }))

/**
 * The same call selecting the nth (1-based) element of a list result.
 *
 * @category combinators
 */
export const withNth: {
  (nth: number): (self: CallId) => CallId
  (self: CallId, nth: number): CallId
} = dual(2, (self: CallId, nth: number): CallId => new CallId({ ...fieldsOf(self), nth }))

/**
 * The same call recorded as implemented by a module.
 *
 * @category combinators
 */
export const withModule: {
  (module: string): (self: CallId) => CallId
  (self: CallId, module: string): CallId
} = dual(2, (self: CallId, module: string): CallId => new CallId({ ...fieldsOf(self), module }))

const fieldsOf = (id: CallId): CallIdFields => ({
  receiver: id.receiver,
  field: id.field,
  type: id.type,
  args: id.args,
  nth: id.nth,
  content: id.content,
  module: id.module
})

/**
 * Looks up an argument by name.
 *
 * @category getters
 */
export const arg = (id: CallId, name: string): Literal | undefined => id.args.find((a) => a.name === name)?.value

// ---------------------------------------------------------------------------------------------------------------
// literals

/**
 * Literal constructors.
 *
 * @category constructors
 */
export const Lit = {
  null: { _tag: "Null" } as Literal,
  bool: (value: boolean): Literal => ({ _tag: "Bool", value }),
  int: (value: number): Literal => ({ _tag: "Int", value }),
  float: (value: number): Literal => ({ _tag: "Float", value }),
  string: (value: string): Literal => ({ _tag: "String", value }),
  enum: (value: string): Literal => ({ _tag: "Enum", value }),
  list: (values: ReadonlyArray<Literal>): Literal => ({ _tag: "List", values }),
  object: (fields: ReadonlyArray<Arg>): Literal => ({
    _tag: "Object",
    fields: [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }),
  id: (id: CallId): Literal => ({ _tag: "Id", id })
} as const

// ---------------------------------------------------------------------------------------------------------------
// canonical encoding and digest

type Canon = null | boolean | number | string | ReadonlyArray<Canon> | { readonly [k: string]: Canon }

const canonLiteral = (lit: Literal, ref: (id: CallId) => Canon): Canon => {
  switch (lit._tag) {
    case "Null":
      return ["n"]
    case "Bool":
      return ["b", lit.value]
    case "Int":
      return ["i", lit.value]
    case "Float":
      return ["f", Object.is(lit.value, -0) ? 0 : lit.value]
    case "String":
      return ["s", lit.value]
    case "Enum":
      return ["e", lit.value]
    case "List":
      return ["l", lit.values.map((v) => canonLiteral(v, ref))]
    case "Object":
      return ["o", lit.fields.map((f) => [f.name, canonLiteral(f.value, ref)])]
    case "Id":
      return ["@", ref(lit.id)]
  }
}

const canonCall = (id: CallId, ref: (id: CallId) => Canon): Canon => {
  const out: Record<string, Canon> = {
    r: id.receiver === undefined ? null : ref(id.receiver),
    f: id.field,
    t: id.type,
    a: id.args.map((a) => [a.name, canonLiteral(a.value, ref)])
  }
  if (id.nth !== undefined) out.n = id.nth
  if (id.content !== undefined) out.c = id.content
  if (id.module !== undefined) out.m = id.module
  return out
}

const computeDigest = (id: CallId): string => {
  // A content digest names the result by content alone: the same bytes from another path or client are one value.
  const canon: Canon = id.content !== undefined
    ? { t: id.type, c: id.content, ...(id.nth !== undefined ? { n: id.nth } : {}) }
    : canonCall(id, (nested) => nested.digest)
  return "sha256:" + createHash("sha256").update(JSON.stringify(canon)).digest("hex")
}

/**
 * The digest of a chain (data-first helper for pipelines).
 *
 * @category getters
 */
export const digest = (id: CallId): string => id.digest

// ---------------------------------------------------------------------------------------------------------------
// serialization: base64url JSON of the calls of the chain, deduplicated by digest

interface WireCall {
  readonly r?: string
  readonly f: string
  readonly t: string
  readonly a?: ReadonlyArray<readonly [string, unknown]>
  readonly n?: number
  readonly c?: string
  readonly m?: string
}

const wireLiteral = (lit: Literal, visit: (id: CallId) => string): unknown => {
  switch (lit._tag) {
    case "Null":
      return null
    case "Bool":
    case "String":
      return lit.value
    case "Int":
      return { i: lit.value }
    case "Float":
      return { f: lit.value }
    case "Enum":
      return { e: lit.value }
    case "List":
      return lit.values.map((v) => wireLiteral(v, visit))
    case "Object":
      return { o: lit.fields.map((f) => [f.name, wireLiteral(f.value, visit)]) }
    case "Id":
      return { "@": visit(lit.id) }
  }
}

const ID_PREFIX = "dirk1."

/**
 * Serializes a chain to an opaque string that {@link decode} turns back into an equal chain. Calls shared by several
 * parts of the chain (same digest) are written once.
 *
 * @category encoding
 */
export const encode = (id: CallId): string => {
  const calls: Record<string, WireCall> = {}
  const keys = new Map<string, string>()
  const visit = (c: CallId): string => {
    const d = c.digest
    const existing = keys.get(d)
    if (existing !== undefined) return existing
    const wire: { -readonly [K in keyof WireCall]: WireCall[K] } = { f: c.field, t: c.type }
    if (c.receiver !== undefined) wire.r = visit(c.receiver)
    if (c.args.length > 0) wire.a = c.args.map((a) => [a.name, wireLiteral(a.value, visit)] as const)
    if (c.nth !== undefined) wire.n = c.nth
    if (c.content !== undefined) wire.c = c.content
    if (c.module !== undefined) wire.m = c.module
    const key = keys.size.toString(36)
    keys.set(d, key)
    calls[key] = wire
    return key
  }
  const rootKey = visit(id)
  return ID_PREFIX + Buffer.from(JSON.stringify({ r: rootKey, c: calls })).toString("base64url")
}

/**
 * Why an ID string could not be decoded.
 *
 * @category errors
 */
export class InvalidId extends Error {
  readonly _tag = "InvalidId"
  constructor(readonly input: string, readonly reason: string) {
    super(`invalid ID ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + "…" : input)}: ${reason}`)
  }
}

const unwireLiteral = (v: unknown, load: (key: string) => CallId): Literal => {
  if (v === null) return Lit.null
  if (typeof v === "boolean") return Lit.bool(v)
  if (typeof v === "string") return Lit.string(v)
  if (Array.isArray(v)) return Lit.list(v.map((x) => unwireLiteral(x, load)))
  if (typeof v === "object") {
    const o = v as Record<string, unknown>
    if (typeof o.i === "number") return Lit.int(o.i)
    if (typeof o.f === "number") return Lit.float(o.f)
    if (typeof o.e === "string") return Lit.enum(o.e)
    if (typeof o["@"] === "string") return Lit.id(load(o["@"]))
    if (Array.isArray(o.o)) {
      return Lit.object((o.o as Array<[string, unknown]>).map(([name, value]) => ({
        name: String(name),
        value: unwireLiteral(value, load)
      })))
    }
  }
  throw new Error(`bad literal ${JSON.stringify(v)}`)
}

/**
 * Parses an ID string made by {@link encode}. Throws {@link InvalidId} on anything else; the Effect-facing callers
 * wrap this in `Effect.try`.
 *
 * @category encoding
 */
export const decode = (input: string): CallId => {
  if (!input.startsWith(ID_PREFIX)) throw new InvalidId(input, "not an ID issued by this engine")
  let parsed: { r: string; c: Record<string, WireCall> }
  try {
    parsed = JSON.parse(Buffer.from(input.slice(ID_PREFIX.length), "base64url").toString("utf8"))
  } catch {
    throw new InvalidId(input, "not valid base64url JSON")
  }
  if (parsed === null || typeof parsed !== "object" || typeof parsed.r !== "string" || typeof parsed.c !== "object") {
    throw new InvalidId(input, "missing root or calls")
  }
  const cache = new Map<string, CallId>()
  const loading = new Set<string>()
  const load = (key: string): CallId => {
    const hit = cache.get(key)
    if (hit) return hit
    const w = parsed.c[key]
    if (w === undefined) throw new InvalidId(input, `dangling reference ${key}`)
    if (loading.has(key)) throw new InvalidId(input, `cycle at ${key}`)
    loading.add(key)
    try {
      const id = new CallId({
        receiver: w.r === undefined ? undefined : load(w.r),
        field: String(w.f),
        type: String(w.t),
        args: (w.a ?? []).map(([name, value]) => ({ name: String(name), value: unwireLiteral(value, load) })),
        nth: w.n,
        content: w.c,
        module: w.m
      })
      cache.set(key, id)
      return id
    } catch (e) {
      if (e instanceof InvalidId) throw e
      throw new InvalidId(input, e instanceof Error ? e.message : String(e))
    } finally {
      loading.delete(key)
    }
  }
  return load(parsed.r)
}

/**
 * Structural equality of two chains (by digest, which covers every field and argument).
 *
 * @category guards
 */
export const equals = (a: CallId, b: CallId): boolean => a.digest === b.digest

// ---------------------------------------------------------------------------------------------------------------
// display

const displayLiteral = (lit: Literal): string => {
  switch (lit._tag) {
    case "Null":
      return "null"
    case "Bool":
    case "Int":
    case "Float":
      return String(lit.value)
    case "String":
      return JSON.stringify(lit.value.length > 40 ? lit.value.slice(0, 40) + "…" : lit.value)
    case "Enum":
      return lit.value
    case "List":
      return "[" + lit.values.map(displayLiteral).join(", ") + "]"
    case "Object":
      return "{" + lit.fields.map((f) => `${f.name}: ${displayLiteral(f.value)}`).join(", ") + "}"
    case "Id":
      return `${lit.id.type}@${lit.id.digest.slice(7, 19)}`
  }
}

const display = (id: CallId): string => {
  const args = id.args.length === 0 ? "" : "(" + id.args.map((a) => `${a.name}: ${displayLiteral(a.value)}`).join(", ") + ")"
  const self = id.field + args + (id.nth !== undefined ? `[${id.nth}]` : "")
  return id.receiver === undefined ? self : display(id.receiver) + "." + self
}

/**
 * The shape of a chain: its field names from the root, without arguments (`container.from.withExec.withExec`), with
 * the module of module fields. Two runs of one pipeline give the same shape whatever their inputs.
 *
 * @category getters
 */
export const shape = (id: CallId): string => {
  const fields: Array<string> = []
  for (let c: CallId | undefined = id; c !== undefined; c = c.receiver) {
    fields.push(c.module !== undefined ? `${c.module}:${c.field}` : c.field)
  }
  return fields.reverse().join(".")
}
