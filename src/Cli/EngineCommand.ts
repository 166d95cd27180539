/**
 * `dirk engine serve|start|stop|status`: the engine daemon's life.
 */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import * as Address from "../Engine/Address.js"
import type { EngineError } from "../Engine/Engine.js"
import type * as Protocol from "../Engine/Protocol.js"
import * as Size from "../Engine/Size.js"
import * as StateLock from "../Engine/StateLock.js"
import { CliError, usage } from "./CliError.js"
import { CliIo } from "./CliIo.js"
import * as EngineClient from "./EngineClient.js"
import { EngineHost, type EngineHostShape } from "./EngineHost.js"

const engineFailed = (e: EngineError) => new CliError({ reason: "Engine", detail: e.message })

/** The daemon's address: an explicit `--listen`/`--engine`/`DIRK_ENGINE`, else the state dir's socket. */
const daemonAddress = (host: EngineHostShape, listen: Option.Option<string>): Effect.Effect<Address.Listen, CliError> =>
  Effect.gen(function*() {
    if (Option.isSome(listen)) {
      const parsed = Address.parse(listen.value)
      if (parsed === undefined || "error" in parsed || parsed._tag === "Embedded") {
        return yield* Effect.fail(usage(`--listen: ${parsed !== undefined && "error" in parsed ? parsed.error : "expected unix:///path or tcp://host:port"}`))
      }
      if (parsed._tag === "Tcp" && !["127.0.0.1", "::1", "localhost"].includes(parsed.host)) {
        return yield* Effect.fail(usage(
          `--listen ${listen.value}: the engine's control protocol has no authentication, so it listens on this host only ` +
            `(tcp://127.0.0.1:PORT or tcp://[::1]:PORT)`
        ))
      }
      return parsed
    }
    return host.address._tag === "Embedded" ? Address.defaultFor(host.stateDir) : host.address
  })

const clientOptions = (host: EngineHostShape, address: Exclude<Address.Address, { _tag: "Embedded" }>) => ({
  address,
  stateDir: host.stateDir,
  autoStart: host.isDefault && address._tag === "Unix",
  self: [process.execPath, process.argv[1] ?? "dirk"]
})

/** @category options */
export const listenOption = Options.text("listen").pipe(
  Options.withDescription("Address to serve on: unix:///path/engine.sock or tcp://host:port (default: the state dir's socket)"),
  Options.optional
)

/** @category options */
export const idleOption = Options.text("idle-timeout").pipe(
  Options.withDescription("Stop after this long without sessions (e.g. 30m, 1h; default: never)"),
  Options.optional
)

/** @category options */
export const forceOption = Options.boolean("force").pipe(
  Options.withDescription("Stop even while sessions are open (they fail)")
)

/** @category options */
export const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print JSON"))

const parseDuration = (text: string): Effect.Effect<number, CliError> => {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim())
  if (m === null) return Effect.fail(usage(`--idle-timeout: ${JSON.stringify(text)} is not a duration (e.g. 90s, 30m, 2h)`))
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  return Effect.succeed(Duration.toMillis(Duration.decode(`${n} ${unit === "ms" ? "millis" : unit === "s" ? "seconds" : unit === "m" ? "minutes" : "hours"}`)))
}

/** @category options */
export const keepStorageOption = Options.text("keep-storage").pipe(
  Options.withDescription("The cache's storage budget (e.g. 10GB, 500MiB; default: a quarter of free disk plus the cache, at least 1 GiB)"),
  Options.optional
)

/** @category options */
export const allOption = Options.boolean("all").pipe(
  Options.withDescription("Remove the whole cache (what live sessions may hold excepted)")
)

const parseSize = (o: Option.Option<string>): Effect.Effect<number | undefined, CliError> => {
  if (Option.isNone(o)) return Effect.succeed(undefined)
  const n = Size.parse(o.value)
  return typeof n === "number" ? Effect.succeed(n) : Effect.fail(usage(`--keep-storage: ${n.error}`))
}

/** @category commands */
export const serve = Command.make("serve", { listen: listenOption, idle: idleOption, keep: keepStorageOption }, (o) =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    const address = yield* daemonAddress(host, o.listen)
    const idleTimeoutMs = Option.isSome(o.idle) ? yield* parseDuration(o.idle.value) : undefined
    yield* host.serve({ address, idleTimeoutMs, keepStorage: yield* parseSize(o.keep) })
  })).pipe(Command.withDescription("Run the engine in the foreground (Ctrl-C stops it)"))

const renderReport = (r: Protocol.PruneReport): string =>
  `removed ${r.removedEntries} cache item(s), freed ${Size.format(r.freedBytes)}; the cache holds ${Size.format(r.remainingBytes)}\n`

/** @category commands */
export const prune = Command.make("prune", { all: allOption, keep: keepStorageOption }, (o) =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    const io = yield* CliIo
    const keepStorage = yield* parseSize(o.keep)
    const address = yield* daemonAddress(host, Option.none())
    // through the engine when one runs (it knows what its sessions hold); else right here on the state dir
    const running = yield* Effect.either(EngineClient.hello(address))
    if (running._tag === "Right") {
      const r = yield* EngineClient.request<Protocol.PruneReport>(address, "POST", "/prune", { all: o.all, keepStorage: keepStorage ?? null }).pipe(
        Effect.mapError(engineFailed)
      )
      yield* io.stdout(renderReport(r.body))
      return
    }
    yield* io.stdout(renderReport(yield* host.prune({ all: o.all, keepStorage })))
  })).pipe(Command.withDescription("Remove cache entries, least recently used first, down to --keep-storage (or all with --all)"))

/** @category commands */
export const start = Command.make("start", {}, () =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    const io = yield* CliIo
    const address = yield* daemonAddress(host, Option.none())
    const h = yield* EngineClient.ensure({ ...clientOptions(host, address), autoStart: address._tag === "Unix" }).pipe(
      Effect.mapError(engineFailed)
    )
    yield* io.stdout(`engine dirk ${h.version} (pid ${h.pid}) at ${Address.format(address)}\n`)
  })).pipe(Command.withDescription("Start the engine in the background, unless one already answers"))

/** @category commands */
export const stop = Command.make("stop", { force: forceOption }, (o) =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    const io = yield* CliIo
    const address = yield* daemonAddress(host, Option.none())
    const h = yield* Effect.either(EngineClient.hello(address))
    if (h._tag === "Left") {
      yield* io.stdout(`no engine answers at ${Address.format(address)}\n`)
      return
    }
    const r = yield* EngineClient.request<{ error?: string }>(address, "POST", "/stop", { force: o.force }).pipe(
      Effect.mapError(engineFailed)
    )
    if (r.status !== 200) return yield* Effect.fail(new CliError({ reason: "Engine", detail: r.body.error ?? `stop failed (${r.status})` }))
    // wait until it is gone (it has removed what its sessions made and let go of its state dir), so that a following
    // start gets a fresh one
    for (let i = 0; i < 600 && (yield* Effect.either(EngineClient.hello(address)))._tag === "Right"; i++) {
      yield* Effect.sleep("50 millis")
    }
    for (let i = 0; i < 600 && StateLock.holder(h.right.stateDir)?.pid === h.right.pid; i++) {
      yield* Effect.sleep("50 millis")
    }
    yield* io.stdout(`stopped the engine (pid ${h.right.pid}) at ${Address.format(address)}\n`)
  })).pipe(Command.withDescription("Stop the engine (refused while sessions are open, unless --force)"))

const renderStatus = (address: Address.Address, s: Protocol.Status): string => {
  const counts = Object.entries(s.cache.entries).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ")
  const lines = [
    `engine:   dirk ${s.version} (protocol ${s.protocol}), pid ${s.pid}, since ${s.startedAt}`,
    `address:  ${Address.format(address)}`,
    `state:    ${s.stateDir}`,
    `cache:    ${Size.format(s.cache.bytes)} of ${Size.format(s.cache.keepStorage)}; ${counts === "" ? "empty" : counts}`,
    `sessions: ${s.sessions.length}`,
    ...s.sessions.map((x) => `  ${x.id}  ${x.openedAt}  ${x.workdir}`)
  ]
  return lines.join("\n") + "\n"
}

/** @category commands */
export const status = Command.make("status", { json: jsonOption }, (o) =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    const io = yield* CliIo
    const address = yield* daemonAddress(host, Option.none())
    const r = yield* EngineClient.request<Protocol.Status>(address, "GET", "/status").pipe(
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: `${e.message}; start one with \`dirk engine start\`` }))
    )
    yield* io.stdout(o.json ? JSON.stringify(r.body, null, 2) + "\n" : renderStatus(address, r.body))
  })).pipe(Command.withDescription("Show the engine's sessions and cache"))

/** @category commands */
export const command = Command.make("engine").pipe(
  Command.withDescription("Manage the engine daemon"),
  Command.withSubcommands([serve, start, stop, status, prune])
)
