/**
 * The Effect SDK's side of the module protocol: what one call of an Effect module does in its runtime container
 * (the warm runner calls `serveCall` with the call's session). Registration (`parentName` is `""`) declares the
 * module's typedefs with the module API and returns the module's ID; an invocation decodes the arguments with the
 * function's schemas, runs its Effect with a client of the session, encodes the result and returns it, or returns
 * its error (an `ExecError` keeps its exit code and output for the caller).
 */
import { Cause, Effect, Option, ParseResult, Schema } from "effect"
import * as DirkClient from "./DirkClient.js"
import { ExecError } from "./DirkError.js"
import * as Dag from "./generated/Dag.js"
import * as Err from "./generated/Error.js"
import * as Fn from "./generated/Function.js"
import * as FunctionCall from "./generated/FunctionCall.js"
import * as FunctionCallArgValue from "./generated/FunctionCallArgValue.js"
import * as ModuleApi from "./generated/Module.js"
import * as TypeDef from "./generated/TypeDef.js"
import type * as T from "./generated/types.js"
import * as Node from "./internal/node.js"
import * as Module from "./Module.js"

const pascal = (name: string) =>
  name.split(/[^A-Za-z0-9]+/).filter((p) => p !== "").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("")

const typeDefOf = (t: Module.TypeIR): T.TypeDef => {
  let d: T.TypeDef
  switch (t._tag) {
    case "String":
      d = TypeDef.make().pipe(TypeDef.withKind("STRING_KIND"))
      break
    case "Integer":
      d = TypeDef.make().pipe(TypeDef.withKind("INTEGER_KIND"))
      break
    case "Float":
      d = TypeDef.make().pipe(TypeDef.withKind("FLOAT_KIND"))
      break
    case "Boolean":
      d = TypeDef.make().pipe(TypeDef.withKind("BOOLEAN_KIND"))
      break
    case "Void":
      d = TypeDef.make().pipe(TypeDef.withKind("VOID_KIND"))
      break
    case "List":
      d = TypeDef.make().pipe(TypeDef.withListOf(typeDefOf(t.of)))
      break
    case "Object":
      d = TypeDef.make().pipe(TypeDef.withObject(t.name))
  }
  return t.optional ? d.pipe(TypeDef.withOptional(true)) : d
}

const described = <A>(description: string | undefined, f: (d: string) => (a: A) => A) => (a: A) =>
  description === undefined || description === "" ? a : f(description)(a)

/**
 * The module's ID, with its typedefs.
 *
 * @category constructors
 */
export const register = (ir: Module.ModuleIR) => {
  const main = ir.functions.reduce(
    (obj, f) =>
      obj.pipe(TypeDef.withFunction(
        f.args.reduce(
          (fn, a) => fn.pipe(Fn.withArg(a.name, typeDefOf(a.type), a.description !== undefined ? { description: a.description } : {})),
          Fn.make(f.name, typeDefOf(f.returns)).pipe(described(f.description, (d) => Fn.withDescription(d)))
        )
      )),
    TypeDef.make().pipe(TypeDef.withObject(pascal(ir.name), ir.description !== undefined ? { description: ir.description } : {}))
  )
  const objects = ir.objects.map((o) =>
    o.fields.reduce(
      (obj, f) => obj.pipe(TypeDef.withField(f.name, typeDefOf(f.type), f.description !== undefined ? { description: f.description } : {})),
      TypeDef.make().pipe(TypeDef.withObject(o.name, o.description !== undefined ? { description: o.description } : {}))
    )
  )
  const mod = objects.reduce(
    (m, o) => m.pipe(ModuleApi.withObject(o)),
    ModuleApi.make().pipe(described(ir.description, (d) => ModuleApi.withDescription(d)), ModuleApi.withObject(main))
  )
  return ModuleApi.id(mod)
}

// JSON values of the wire ↔ the encoded side of the schemas: API objects travel as IDs
const fromWire = (t: Module.TypeIR, objects: ReadonlyMap<string, Module.ObjectIR>, v: unknown): unknown => {
  if (v === null || v === undefined) return v
  switch (t._tag) {
    case "List":
      return Array.isArray(v) ? v.map((x) => fromWire(t.of, objects, x)) : v
    case "Object": {
      if (t.core) return typeof v === "string" ? Node.make(t.name, [{ field: `load${t.name}FromID`, args: [{ name: "id", type: `${t.name}ID!`, value: v }] }]) : v
      const o = objects.get(t.name)
      if (o === undefined || typeof v !== "object") return v
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) }
      for (const f of o.fields) if (f.name in out) out[f.name] = fromWire(f.type, objects, out[f.name])
      return out
    }
    default:
      return v
  }
}

const toWire = (value: unknown): Effect.Effect<unknown, unknown, DirkClient.DirkClient> => {
  if (Node.isNode(value)) return Node.idOf(value)
  if (Array.isArray(value)) return Effect.forEach(value, toWire, { concurrency: "unbounded" })
  if (typeof value === "object" && value !== null) {
    return Effect.map(
      Effect.forEach(Object.entries(value), ([k, v]) => Effect.map(toWire(v), (w) => [k, w] as const), { concurrency: "unbounded" }),
      Object.fromEntries
    )
  }
  return Effect.succeed(value)
}

const errorOf = (cause: Cause.Cause<unknown>): T.Error => {
  const failure = Cause.failureOption(cause)
  const e = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  if (e instanceof ExecError) {
    return Err.make(e.message).pipe(
      Err.withValue("_type", JSON.stringify("EXEC_ERROR")),
      Err.withValue("cmd", JSON.stringify(e.cmd)),
      Err.withValue("exitCode", JSON.stringify(e.exitCode)),
      Err.withValue("stdout", JSON.stringify(e.stdout)),
      Err.withValue("stderr", JSON.stringify(e.stderr))
    )
  }
  if (ParseResult.isParseError(e)) return Err.make(ParseResult.TreeFormatter.formatErrorSync(e))
  if (typeof e === "string") return Err.make(e)
  if (e instanceof Error) return Err.make(e.message)
  return Err.make(JSON.stringify(e) ?? String(e))
}

/**
 * One call of `module` in the current session (the client given): registration or an invocation.
 *
 * @category running
 */
export const call = (module: Module.ModuleDef): Effect.Effect<void, unknown, DirkClient.DirkClient> =>
  Effect.gen(function*() {
    const fnCall = Dag.currentFunctionCall()
    const ir = Module.toIR(module)
    const parentName = yield* FunctionCall.parentName(fnCall)
    if (parentName === "") {
      // the engine reports a returned error as the registration's failure, with this message alone
      if (ir instanceof Module.RegistrationError) return yield* fnCall.pipe(FunctionCall.returnError(Err.make(ir.message)))
      const id = yield* register(ir)
      yield* fnCall.pipe(FunctionCall.returnValue(JSON.stringify(id)))
      return
    }
    const run = Effect.gen(function*() {
      if (ir instanceof Module.RegistrationError) return yield* Effect.fail(ir)
      const name = yield* FunctionCall.name(fnCall)
      const f = module.functions[name]
      const fir = ir.functions.find((x) => x.name === name)
      if (f === undefined || fir === undefined) return yield* Effect.fail(`module ${module.name} has no function ${name}`)
      const objects = new Map(ir.objects.map((o) => [o.name, o]))
      const input: Record<string, unknown> = {}
      for (const arg of yield* FunctionCall.inputArgs(fnCall)) {
        const argName = yield* FunctionCallArgValue.name(arg)
        const json = JSON.parse(yield* FunctionCallArgValue.value(arg)) as unknown
        const declared = fir.args.find((a) => a.name === argName)
        if (declared !== undefined && json !== null) input[argName] = fromWire(declared.type, objects, json)
      }
      const args = yield* Schema.decodeUnknown(Schema.Struct(f.args) as unknown as Schema.Schema<Record<string, unknown>, unknown>)(input)
      const result = yield* f.run(args)
      const encoded = yield* Schema.encode(f.returns as Schema.Schema<unknown, unknown>)(result)
      return yield* toWire(encoded)
    })
    const exit = yield* Effect.exit(run)
    if (exit._tag === "Success") {
      yield* fnCall.pipe(FunctionCall.returnValue(JSON.stringify(exit.value ?? null)))
    } else {
      yield* fnCall.pipe(FunctionCall.returnError(errorOf(exit.cause)))
    }
  })

/**
 * What the warm runner calls for each call: `module` against the call's session.
 *
 * @category running
 */
export const serveCall = (module: unknown, session: { readonly url: string; readonly token: string }): Promise<void> => {
  if (typeof module !== "object" || module === null || (module as { _tag?: unknown })._tag !== "Module") {
    return Promise.reject(new Error("the module's src/index.ts must `export default Module.make(…)` (from \"dirk/module\")"))
  }
  return Effect.runPromise(
    call(module as Module.ModuleDef).pipe(
      Effect.provide(DirkClient.layerRemote(session)),
      Effect.catchAllCause((cause) => Effect.fail(new Error(Cause.pretty(cause))))
    )
  )
}
