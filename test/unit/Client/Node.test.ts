/**
 * The generated client's runtime: queries built from chains (variables typed as the schema types them, object
 * arguments resolved to IDs first), responses read back, errors mapped. The session is a fake `DirkClient` that
 * records the requests (pure logic; the real engine is in test/integration/Client.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Container, Dag, Directory, DirkClient, DirkError } from "../../../src/Client/index.js"

const recording = (answer: (query: string) => unknown) => {
  const requests: Array<DirkClient.Request> = []
  const layer = Layer.succeed(DirkClient.DirkClient, {
    url: "",
    execute: (request) => Effect.sync(() => {
      requests.push(request)
      return answer(request.query)
    })
  })
  return { requests, layer }
}

describe("client runtime", () => {
  it.effect("a leaf is one query along the chain, arguments as typed variables", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(() => ({ container: { from: { withExec: { stdout: "hi\n" } } } }))
      const out = yield* Container.from("alpine").pipe(
        Container.withExec(["echo", "hi"], { noCache: true }),
        Container.stdout,
        Effect.provide(layer)
      )
      assert.strictEqual(out, "hi\n")
      assert.strictEqual(
        requests[0]!.query,
        "query($v0: String!, $v1: [String!]!, $v2: Boolean) { container { from(address: $v0) { withExec(args: $v1, noCache: $v2) { stdout } } } }"
      )
      assert.deepStrictEqual(requests[0]!.variables, { v0: "alpine", v1: ["echo", "hi"], v2: true })
    }))

  it.effect("object arguments are sent as the IDs of their chains", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording((q) =>
        q.includes("directory {")
          ? { directory: { withNewFile: { id: "DIR-ID" } } }
          : { container: { withDirectory: { id: "CTR-ID" } } }
      )
      const dir = Directory.make().pipe(Directory.withNewFile("a", "A"))
      const id = yield* Container.make().pipe(Container.withDirectory("/src", dir), Container.id, Effect.provide(layer))
      assert.strictEqual(id, "CTR-ID")
      assert.strictEqual(requests.length, 2)
      assert.strictEqual(requests[0]!.query, "query($v0: String!, $v1: String!) { directory { withNewFile(path: $v0, contents: $v1) { id } } }")
      assert.deepStrictEqual(requests[1]!.variables, { v0: "/src", v1: "DIR-ID" })
    }))

  it.effect("a list of objects comes back as values loaded by ID", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording((q) =>
        q.includes("envVariables") ? { container: { envVariables: [{ id: "E1" }, { id: "E2" }] } } : { loadEnvVariableFromID: { name: "N" } }
      )
      const envs = yield* Container.make().pipe(Container.envVariables, Effect.provide(layer))
      assert.strictEqual(envs.length, 2)
      assert.deepStrictEqual(envs[1]!.chain, [{ field: "loadEnvVariableFromID", args: [{ name: "id", type: "EnvVariableID!", value: "E2" }] }])
      assert.strictEqual(requests[0]!.query, "query { container { envVariables { id } } }")
    }))

  it("values are immutable: a combinator returns a new chain", () => {
    const a = Container.from("alpine")
    const b = a.pipe(Container.withWorkdir("/x"))
    assert.strictEqual(a.chain.length, 2)
    assert.strictEqual(b.chain.length, 3)
    // `from` is also a combinator
    const c = Dag.container().pipe(Container.from("busybox"))
    assert.deepStrictEqual(c.chain.map((x) => x.field), ["container", "from"])
  })

  it("GraphQL errors become tagged errors (EXEC_ERROR keeps the command, exit code and output)", () => {
    const exec = DirkError.fromGraphQL({
      message: "exit code 7",
      path: ["container", "from", "withExec", "stdout"],
      extensions: { _type: "EXEC_ERROR", cmd: ["sh", "-c", "exit 7"], exitCode: 7, stdout: "o", stderr: "e" }
    })
    assert.instanceOf(exec, DirkError.ExecError)
    assert.deepStrictEqual(
      exec._tag === "ExecError" && [exec.cmd, exec.exitCode, exec.stdout, exec.stderr, exec.message],
      [["sh", "-c", "exit 7"], 7, "o", "e", "exit code 7"]
    )
    const other = DirkError.fromGraphQL({ message: "no such file", path: ["directory", "file"] })
    assert.instanceOf(other, DirkError.QueryError)
    assert.deepStrictEqual(other._tag === "QueryError" && other.path, ["directory", "file"])
  })
})
