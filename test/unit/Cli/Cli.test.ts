/**
 * `dirk …` end to end against a fake engine: a session is an in-process HTTP server executing the fixture schema
 * (no Docker). Output is captured by `CliIo.layerTest`.
 */
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect, Either, Layer, Ref, Stream } from "effect"
import { graphql, GraphQLError } from "graphql"
import * as Cli from "../../../src/Cli/Cli.js"
import { EngineHost } from "../../../src/Cli/EngineHost.js"
import * as CliEngine from "../../../src/Cli/CliEngine.js"
import * as CliIo from "../../../src/Cli/CliIo.js"
import type { ProgressEvent } from "../../../src/Dag/Solver.js"
import type { EngineShape } from "../../../src/Engine/Engine.js"
import { schema } from "./fixture.js"

const token = "secret-token"

const dir = (id: string, exported: Array<string>): Record<string, unknown> => ({
  id,
  sync: id,
  entries: () => ["a.txt", "b.txt"],
  export: ({ path }: { path: string }) => {
    exported.push(path)
    return path
  },
  file: ({ path }: { path: string }) => file(`${id}/${path}`, exported)
})
const file = (id: string, exported: Array<string>) => ({
  id,
  sync: id,
  contents: `contents of ${id}`,
  export: ({ path }: { path: string }) => {
    exported.push(path)
    return path
  }
})

const makeRoot = (log: Array<string>, exported: Array<string>) => ({
  moduleSource: ({ refString }: { refString: string }) => {
    if (refString.includes("missing")) throw new GraphQLError(`no dagger.json found in ${refString}`)
    return { moduleName: "ci", asModule: { serve: () => null } }
  },
  host: {
    directory: ({ path }: { path: string }) => dir(`host-dir:${path}`, exported),
    file: ({ path }: { path: string }) => file(`host-file:${path}`, exported)
  },
  container: { from: ({ address }: { address: string }) => ({ id: `ctr:${address}`, sync: `ctr:${address}` }) },
  ci: {
    test: ({ source }: { source: string }) => {
      if (source.includes("failing")) {
        throw new GraphQLError("process \"node --test\" did not complete successfully: exit code: 3", {
          extensions: {
            _type: "EXEC_ERROR",
            cmd: ["node", "--test"],
            exitCode: 3,
            stdout: "ok 1\nnot ok 2",
            stderr: Array.from({ length: 30 }, (_, i) => `err line ${i + 1}`).join("\n")
          }
        })
      }
      return `tests passed for ${source}\n`
    },
    build: ({ source }: { source: string }) => dir(`build(${source})`, exported),
    lint: (args: Record<string, unknown>) => `lint ${JSON.stringify(args)}`,
    greet: ({ a, times }: { a: string; times?: number }) => Array.from({ length: times ?? 1 }, () => `hi ${a}`),
    noop: () => null,
    env: ({ source, base }: { source: string; base?: string }) => ({
      id: `env(${source},${base})`,
      sync: "x",
      export: ({ path }: { path: string }) => {
        exported.push(path)
        return path
      }
    }),
    readFile: ({ file }: { file: string }) => `read ${file}`,
    dirs: ({ count }: { count: number }) => Array.from({ length: count }, (_, i) => dir(`d${i}`, exported)),
    flaglike: (args: Record<string, unknown>) => `flaglike ${JSON.stringify(args)}`
  },
  log
})

const fakeEngine = (log: Array<string>, exported: Array<string>): EngineShape => ({
  openSession: () =>
    Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const rootValue = makeRoot(log, exported)
        const server = http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            if (req.headers.authorization !== `Basic ${Buffer.from(`${token}:`).toString("base64")}`) {
              res.writeHead(401).end()
              return
            }
            const { query } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { query: string }
            log.push(query)
            void graphql({ schema, source: query, rootValue }).then((result) => {
              res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result))
            })
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void))))
      .pipe(Effect.map((server) => {
        const port = (server.address() as AddressInfo).port
        return {
          id: "s1",
          port,
          token,
          url: `http://127.0.0.1:${port}/query`,
          events: Stream.fromIterable<ProgressEvent>([
            { digest: "d1", description: "exec node --test", phase: "start", cached: false, durationMs: 0 },
            { digest: "d1", description: "exec node --test", phase: "end", cached: false, durationMs: 1500 }
          ])
        }
      }))
})

const moduleDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "dirk-cli-test-"))
fs.writeFileSync(nodePath.join(moduleDir, "dagger.json"), JSON.stringify({ name: "ci", sdk: "typescript" }))
fs.mkdirSync(nodePath.join(moduleDir, "src"), { recursive: true })

const dirk = (argv: ReadonlyArray<string>, overrides: Partial<CliIo.CliIoShape> = {}) =>
  Effect.gen(function*() {
    const stdout = yield* Ref.make("")
    const stderr = yield* Ref.make("")
    const log: Array<string> = []
    const exported: Array<string> = []
    const code = yield* Cli.runWith(argv).pipe(
      Effect.provide(Layer.mergeAll(
        CliIo.layerTest({ stdout, stderr }, { cwd: nodePath.join(moduleDir, "src"), ...overrides }),
        CliEngine.layer(fakeEngine(log, exported)),
        Layer.succeed(EngineHost, {
          address: { _tag: "Embedded" },
          stateDir: moduleDir,
          isDefault: false,
          serve: () => Effect.dieMessage("no engine is served in these tests"),
          prune: () => Effect.dieMessage("no engine is pruned in these tests")
        }),
        NodeContext.layer
      ))
    )
    return { code, stdout: yield* Ref.get(stdout), stderr: yield* Ref.get(stderr), log, exported }
  })

describe("dirk (fake engine)", () => {
  it.live("functions: table of the main object's functions", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["functions", "-q"])
      assert.strictEqual(r.code, 0)
      assert.match(r.stdout, /^Name\s+Description\ntest\s+Runs the tests\.\n/)
      assert.match(r.stdout, /read-file\s+Reads a file\./)
      assert.include(r.log[0]!, `moduleSource(refString: ${JSON.stringify(moduleDir)})`)
    }))

  it.live("call: Directory args become host IDs; String printed raw; progress on stderr", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["call", "test", "--source", "."])
      assert.strictEqual(r.code, 0)
      const src = nodePath.join(moduleDir, "src")
      assert.strictEqual(r.stdout, `tests passed for host-dir:${src}\n`)
      assert.include(r.stderr, "dirk │ ▶ exec node --test")
      assert.include(r.stderr, "dirk │ ✔ exec node --test  1.5s")
      assert.include(r.log.join("\n"), `r0: host { directory(path: ${JSON.stringify(src)}) { id } }`)
      assert.include(r.log.join("\n"), `query { ci { test(source: "host-dir:${src}") } }`)
    }))

  it.live("call --help lists functions; FN --help lists flags", () =>
    Effect.gen(function*() {
      const top = yield* dirk(["call", "--help"])
      assert.strictEqual(top.code, 0)
      assert.match(top.stdout, /FUNCTIONS\n\s+Name\s+Description\n\s+test\s+Runs the tests\./)
      const fn = yield* dirk(["call", "lint", "--help"])
      assert.match(fn.stdout, /--source Directory\s+\(required\)/)
      assert.match(fn.stdout, /--strict Boolean\s+\(default false\)/)
    }))

  it.live("call: chaining into core types, lists one per line, one-letter flags, objects as Type@digest", () =>
    Effect.gen(function*() {
      const entries = yield* dirk(["call", "-q", "build", "--source", "..", "entries"])
      assert.strictEqual(entries.stdout, "a.txt\nb.txt")
      const greet = yield* dirk(["call", "-q", "greet", "--a", "you", "--times", "2"])
      assert.strictEqual(greet.stdout, "hi you\nhi you")
      const built = yield* dirk(["call", "-q", "build", "--source", "/abs"])
      const digest = createHash("sha256").update("build(host-dir:/abs)").digest("hex").slice(0, 12)
      assert.strictEqual(built.stdout, `Directory@sha256:${digest}`)
      assert.include(built.log.join("\n"), "build(source: \"host-dir:/abs\") { sync }")
      const json = yield* dirk(["call", "-q", "--json", "greet", "--a", "x"])
      assert.strictEqual(json.stdout, "[\n  \"hi x\"\n]\n")
      const noop = yield* dirk(["call", "-q", "noop"])
      assert.strictEqual(noop.stdout, "")
      const env = yield* dirk(["call", "-q", "env", "--source", "/s", "--base", "dirk.local/node:20", "--json"])
      assert.include(env.log.join("\n"), "container { from(address: \"dirk.local/node:20\") { id } }")
      assert.strictEqual(env.code, 0)
    }))

  it.live("call -o: export for Directory, file write for scalars", () =>
    Effect.gen(function*() {
      const out = nodePath.join(moduleDir, "out-dir")
      const r = yield* dirk(["call", "-q", "build", "--source", "/abs", "-o", out])
      assert.deepStrictEqual(r.exported, [out])
      assert.strictEqual(r.stderr, `Saved to "${out}".\n`)
      assert.strictEqual(r.stdout, "")
      const textFile = nodePath.join(moduleDir, "out", "greet.txt")
      const s = yield* dirk(["call", "-q", "greet", "--a", "x", "-o", textFile])
      assert.strictEqual(fs.readFileSync(textFile, "utf8"), "hi x")
      assert.include(s.stderr, `Saved output to "${textFile}".`)
    }))

  it.live("errors: EXEC_ERROR shows command, exit code and the last 20 lines of stderr; exit 1", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["call", "-q", "test", "--source", "failing"])
      assert.strictEqual(r.code, 1)
      assert.include(r.stderr, "Error: process \"node --test\" did not complete successfully: exit code: 3")
      assert.include(r.stderr, "command:   node --test")
      assert.include(r.stderr, "exit code: 3")
      assert.include(r.stderr, "err line 30")
      assert.include(r.stderr, "err line 11")
      assert.notInclude(r.stderr, "err line 10\n")
      assert.strictEqual(r.stdout, "")
    }))

  it.live("errors: usage and missing module", () =>
    Effect.gen(function*() {
      const missing = yield* dirk(["call", "-q", "test"])
      assert.strictEqual(missing.code, 1)
      assert.include(missing.stderr, "required flag --source not set")
      const noModule = yield* dirk(["call", "-q", "-m", "/missing/mod", "test"])
      assert.strictEqual(noModule.code, 1)
      assert.strictEqual(noModule.stderr, "Error: module directory /missing/mod does not exist\n")
      const empty = fs.mkdtempSync(nodePath.join(os.tmpdir(), "dirk-cli-nomod-"))
      const noJson = yield* dirk(["call", "-q", "-m", empty, "test"])
      assert.strictEqual(noJson.code, 1)
      assert.strictEqual(noJson.stderr, `Error: no dagger.json in ${empty} or any parent directory\n`)
      assert.deepStrictEqual(noJson.log, [])
    }))

  it.live("call: a function's own --help/--output/--json/--mod/--quiet win over dirk's options (#7032)", () =>
    Effect.gen(function*() {
      const cwd = nodePath.join(moduleDir, "src")
      const r = yield* dirk(["call", "flaglike", "--help=x", "--output", "y", "--json=z", "--mod", "m", "--quiet"])
      assert.strictEqual(r.code, 0)
      assert.strictEqual(r.stdout, `flaglike {"help":"x","output":"y","json":"z","mod":"m","quiet":true}`)
      assert.isFalse(fs.existsSync(nodePath.join(cwd, "y")))
      assert.notInclude(r.stderr, "Saved")
      const spaced = yield* dirk(["call", "-q", "flaglike", "--help", "x"])
      assert.strictEqual(spaced.stdout, `flaglike {"help":"x","output":"o","json":"j"}`)
      // short forms stay dirk's anywhere; long forms are dirk's before the function name
      const short = nodePath.join(moduleDir, "out", "flaglike-short.txt")
      const s = yield* dirk(["call", "flaglike", "--help", "x", "-q", "-o", short, "--output", "y"])
      assert.strictEqual(s.code, 0)
      assert.strictEqual(fs.readFileSync(short, "utf8"), `flaglike {"help":"x","output":"y","json":"j"}`)
      const long = nodePath.join(moduleDir, "out", "flaglike-long.txt")
      const l = yield* dirk(["call", "--output", long, "--json", "-q", "flaglike", "--help", "x"])
      assert.strictEqual(fs.readFileSync(long, "utf8"), `"flaglike {\\"help\\":\\"x\\",\\"output\\":\\"o\\",\\"json\\":\\"j\\"}"\n`)
      assert.strictEqual(l.stdout, "")
      const help = yield* dirk(["call", "flaglike", "--help", "x", "-h"])
      assert.strictEqual(help.code, 0)
      assert.match(help.stdout, /--output String\s+\(default "o"\)/)
      // without an argument of that name, the long form after a function is dirk's
      const json = yield* dirk(["call", "greet", "--a", "x", "--quiet", "--json"])
      assert.strictEqual(json.stdout, "[\n  \"hi x\"\n]\n")
      assert.strictEqual(json.stderr, "")
      const badJson = yield* dirk(["call", "-q", "greet", "--a", "x", "--json=z"])
      assert.strictEqual(badJson.code, 1)
      assert.include(badJson.stderr, `invalid value "z" for dirk's --json`)
    }))

  it.live("call: -m/--mod must come first; a later one is an error, not ignored", () =>
    Effect.gen(function*() {
      const late = yield* dirk(["call", "-q", "greet", "--a", "x", "--mod", "/elsewhere"])
      assert.strictEqual(late.code, 1)
      assert.include(late.stderr, "-m/--mod /elsewhere must come first")
      const lateShort = yield* dirk(["call", "-q", "-m", "..", "greet", "--a", "x", "-m", "/elsewhere"])
      assert.strictEqual(lateShort.code, 1)
      assert.include(lateShort.stderr, "-m/--mod /elsewhere must come first")
      const same = yield* dirk(["call", "-q", "-m", "..", "flaglike", "--help", "x", "--mod", "/elsewhere"])
      assert.strictEqual(same.code, 0)
      assert.include(same.stdout, `"mod":"/elsewhere"`)
    }))

  it.live("call: a repeated scalar flag keeps the last value, lists accumulate; no internal names in errors", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["call", "-q", "greet", "--a", "one", "--a", "two", "--tags", "t1", "--tags", "t2,t3"])
      assert.strictEqual(r.code, 0)
      assert.strictEqual(r.stdout, "hi two")
      assert.include(r.log.join("\n"), `greet(a: "two", tags: ["t1", "t2", "t3"])`)
      const int = yield* dirk(["call", "-q", "greet", "--a", "x", "--times", "1.5"])
      assert.strictEqual(int.code, 1)
      assert.strictEqual(int.stderr, `Error: flag --times: "1.5" is not an integer\n`)
      const float = yield* dirk(["call", "-q", "greet", "--a", "x", "--ratio", "abc"])
      assert.strictEqual(float.stderr, `Error: flag --ratio: "abc" is not a number\n`)
      for (const e of [int.stderr, float.stderr]) assert.notInclude(e, "arg-")
    }))

  it.live("call -o: a Container is exported (as its image tarball); a list of objects is an error, nothing is run", () =>
    Effect.gen(function*() {
      const out = nodePath.join(moduleDir, "out", "ctr.tar")
      const r = yield* dirk(["call", "-q", "env", "--source", "/s", "-o", out])
      assert.strictEqual(r.code, 0)
      assert.deepStrictEqual(r.exported, [out])
      assert.strictEqual(r.stderr, `Saved to "${out}".\n`)
      const listOut = nodePath.join(moduleDir, "out", "dirs.txt")
      const list = yield* dirk(["call", "-q", "dirs", "--count", "2", "-o", listOut])
      assert.strictEqual(list.code, 1)
      assert.include(list.stderr, `"dirs" returns [Directory], which cannot be saved`)
      assert.isFalse(fs.existsSync(listOut))
      assert.notInclude(list.log.join("\n"), "dirs(")
    }))

  it.live("query: prints the response; non-zero on errors", () =>
    Effect.gen(function*() {
      const ok = yield* dirk(["query", "-q"], { stdinIsTTY: false, readStdin: Effect.succeed("{ ci { noop } }") })
      assert.strictEqual(ok.code, 0)
      assert.deepStrictEqual(JSON.parse(ok.stdout), { data: { ci: { noop: null } } })
      const bad = yield* dirk(["query", "-q"], { stdinIsTTY: false, readStdin: Effect.succeed("{ nope }") })
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stdout, "Cannot query field \\\"nope\\\"")
    }))

  it.live("query --doc: a missing file is named in plain words", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["query", "-q", "--doc", "missing.graphql"])
      assert.strictEqual(r.code, 1)
      assert.strictEqual(r.stderr, "Error: dirk query: cannot read --doc missing.graphql: no such file or directory\n")
      assert.deepStrictEqual(r.log, [])
    }))

  it.live("functions FN…: the functions of what the chain returns", () =>
    Effect.gen(function*() {
      const r = yield* dirk(["functions", "-q", "build"])
      assert.strictEqual(r.code, 0)
      assert.match(r.stdout, /^Name\s+Description\n/)
      assert.match(r.stdout, /\nentries\s+Lists the entries\.\n/)
      const deeper = yield* dirk(["functions", "build", "file", "-q"])
      assert.match(deeper.stdout, /contents/)
      const scalar = yield* dirk(["functions", "-q", "test"])
      assert.strictEqual(scalar.code, 1)
      assert.strictEqual(scalar.stderr, `Error: "test" returns String, which has no functions\n`)
      const unknown = yield* dirk(["functions", "-q", "nope"])
      assert.include(unknown.stderr, `unknown function "nope" for Ci; did you mean noop?; available: test, build`)
    }))

  it.live("run: session env for the child, child's exit code", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const r = yield* dirk(["run", "node", "script.js", "--flag"], {
        spawnInherit: (command, args, env) => {
          seen.push({ command, args, port: env["DAGGER_SESSION_PORT"], token: env["DAGGER_SESSION_TOKEN"] })
          return Effect.succeed(7)
        }
      })
      assert.strictEqual(r.code, 7)
      const [first] = seen as Array<{ command: string; args: Array<string>; port: string; token: string }>
      assert.strictEqual(first?.command, "node")
      assert.deepStrictEqual(first?.args, ["script.js", "--flag"])
      assert.strictEqual(first?.token, token)
      assert.match(first?.port ?? "", /^\d+$/)
    }))

  it.live("run -q CMD: -q is run's option, not the command; an unknown option is an error", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const spawnInherit = (command: string, args: ReadonlyArray<string>) =>
        Effect.sync(() => {
          seen.push([command, ...args].join(" "))
          return 0
        })
      const r = yield* dirk(["run", "-q", "node", "-q"], { spawnInherit })
      assert.strictEqual(r.code, 0)
      assert.deepStrictEqual(seen, ["node -q"])
      const unknown = yield* dirk(["run", "-x", "node"], { spawnInherit })
      assert.strictEqual(unknown.code, 1)
      assert.include(unknown.stderr, "dirk run: unknown option -x")
      assert.deepStrictEqual(seen, ["node -q"])
    }))
})

describe("Cli.prepare", () => {
  it("hands call's words over unparsed and protects run's command", () => {
    assert.deepStrictEqual(Cli.prepare(["call", "build", "--help"]), Either.right(["call", "--", "build", "--help"]))
    assert.deepStrictEqual(Cli.prepare(["run", "npm", "test", "--help"]), Either.right(["run", "--", "npm", "test", "--help"]))
    assert.deepStrictEqual(Cli.prepare(["run", "--help"]), Either.right(["run", "--help"]))
    assert.deepStrictEqual(Cli.prepare(["run", "-q", "ls", "-q"]), Either.right(["run", "-q", "--", "ls", "-q"]))
    assert.deepStrictEqual(Cli.prepare(["run", "--", "-x"]), Either.right(["run", "--", "-x"]))
    const unknown = Cli.prepare(["run", "-x", "ls"])
    assert.isTrue(Either.isLeft(unknown))
    if (Either.isLeft(unknown)) assert.include(unknown.left.detail, "dirk run: unknown option -x")
  })
})
