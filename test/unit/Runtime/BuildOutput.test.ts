import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as BuildkitStatus from "../../../src/Runtime/internal/buildkitStatus.js"
import * as BuildOutput from "../../../src/Runtime/internal/buildOutput.js"

// A minimal protobuf encoder for StatusResponse (the test's own, to build messages the decoder must read).
const varint = (n: number): Buffer => {
  const out: Array<number> = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 128) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Buffer.from(out)
}
const bytesField = (no: number, b: Buffer | string): Buffer => {
  const data = typeof b === "string" ? Buffer.from(b) : b
  return Buffer.concat([varint(no * 8 + 2), varint(data.length), data])
}
const intField = (no: number, n: number): Buffer => Buffer.concat([varint(no * 8), varint(n)])
const timestamp = (no: number): Buffer => bytesField(no, Buffer.concat([intField(1, 1_700_000_000), intField(2, 5)]))

interface V {
  readonly digest: string
  readonly name: string
  readonly completed?: boolean
  readonly cached?: boolean
  readonly error?: string
}
const vertex = (v: V): Buffer =>
  Buffer.concat([
    bytesField(1, v.digest),
    bytesField(2, "sha256:input"), // inputs: skipped
    bytesField(3, v.name),
    ...(v.cached ? [intField(4, 1)] : []),
    timestamp(5), // started
    ...(v.completed ? [timestamp(6)] : []),
    ...(v.error !== undefined ? [bytesField(7, v.error)] : []),
    Buffer.concat([varint(9 * 8 + 1), Buffer.alloc(8)]), // an unknown fixed64 field: skipped
    Buffer.concat([varint(10 * 8 + 5), Buffer.alloc(4)]) // an unknown fixed32 field: skipped
  ])
const log = (vertexDigest: string, stream: number, msg: string): Buffer =>
  Buffer.concat([bytesField(1, vertexDigest), timestamp(2), intField(3, stream), bytesField(4, msg)])
const status = (vs: ReadonlyArray<V>, logs: ReadonlyArray<Buffer> = []): Buffer =>
  Buffer.concat([
    ...vs.map((v) => bytesField(1, vertex(v))),
    bytesField(2, Buffer.concat([bytesField(1, "status"), intField(4, 3)])), // statuses: skipped
    ...logs.map((l) => bytesField(3, l))
  ])
const trace = (b: Buffer) => JSON.stringify({ id: "moby.buildkit.trace", aux: b.toString("base64") }) + "\n"

const failedBuild = [
  trace(status([{ digest: "d1", name: "[internal] load build definition" }])),
  trace(status([{ digest: "d1", name: "[internal] load build definition", completed: true }])),
  trace(status([{ digest: "d2", name: "[1/3] FROM busybox", cached: true, completed: true }])),
  trace(status([{ digest: "d3", name: "[2/3] RUN make" }])),
  trace(status([], [log("d3", 1, "compiling a\ncompil"), log("d3", 2, "ing b\nwarning: x\n")])),
  trace(status([{ digest: "d3", name: "[2/3] RUN make", completed: true, error: "executor failed running [/bin/sh -c make]: exit code: 2" }])),
  JSON.stringify({
    errorDetail: { message: "executor failed running [/bin/sh -c make]: exit code: 2" },
    error: "executor failed running [/bin/sh -c make]: exit code: 2"
  }) + "\n"
].join("")

const feed = (chunks: ReadonlyArray<string>): BuildOutput.Report => {
  const out = BuildOutput.make()
  for (const c of chunks) out.push(c)
  out.end()
  return out.report()
}

/** `text` cut at the given (sorted, deduplicated) positions. */
const cut = (text: string, at: ReadonlyArray<number>): Array<string> => {
  const points = [...new Set(at.map((p) => p % (text.length + 1)))].sort((a, b) => a - b)
  const parts: Array<string> = []
  let last = 0
  for (const p of points) {
    parts.push(text.slice(last, p))
    last = p
  }
  parts.push(text.slice(last))
  return parts
}

describe("buildkitStatus", () => {
  it("decodes a status message the daemon sent (a step starting, then its log)", () => {
    const step = BuildkitStatus.decode(Buffer.from(
      "CrIBCkdzaGEyNTY6OWZmZTk4MGU1YWVhZTgxNmE3ZTRkNjUzNGUxN2RlZDBjY2M2MThjODk5NzJlY2UwYjdhNzBjMTRjMDg5YTAwNRJHc2hh" +
        "MjU2OjNjZmFjMzE1OTMzYWY2MjljYjhjNmQ4NzBhNDM0Njk1OWExMGRmNTcyZDc4NDAyYWJiM2IwNTc3YWFjOGViMWIaEVsyLzJdIFJVTiBl" +
        "Y2hvIGhpKgsIldXH2AYQ3OyTEg==",
      "base64"
    ))
    const digest = "sha256:9ffe980e5aeae816a7e4d6534e17ded0ccc618c89972ece0b7a70c14c089a005"
    assert.deepStrictEqual(step, {
      vertexes: [{ digest, name: "[2/2] RUN echo hi", cached: false, completed: false, error: "" }],
      logs: []
    })
    const logged = BuildkitStatus.decode(Buffer.from(
      "Gl0KR3NoYTI1Njo5ZmZlOTgwZTVhZWFlODE2YTdlNGQ2NTM0ZTE3ZGVkMGNjYzYxOGM4OTk3MmVjZTBiN2E3MGMxNGMwODlhMDA1EgsIldXH" +
        "2AYQrdTTVRgBIgNoaQo=",
      "base64"
    ))
    assert.deepStrictEqual(logged.vertexes, [])
    assert.strictEqual(logged.logs.length, 1)
    assert.strictEqual(logged.logs[0]!.vertex, digest)
    assert.strictEqual(logged.logs[0]!.stream, 1)
    assert.strictEqual(logged.logs[0]!.msg.toString(), "hi\n")
  })

  it.prop(
    "reads back what was encoded (unknown and fixed-width fields skipped)",
    [
      fc.array(fc.record({
        digest: fc.string({ maxLength: 70 }),
        name: fc.string({ maxLength: 300 }),
        completed: fc.boolean(),
        cached: fc.boolean(),
        error: fc.string({ maxLength: 200 })
      }), { maxLength: 4 }),
      fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 2 }), fc.string({ maxLength: 400 })), {
        maxLength: 4
      })
    ],
    ([vs, ls]) => {
      const decoded = BuildkitStatus.decode(status(vs, ls.map(([v, s, m]) => log(v, s, m))))
      assert.deepStrictEqual(decoded.vertexes, vs.map((v) => ({ ...v })))
      assert.deepStrictEqual(decoded.logs.map((l) => [l.vertex, l.stream, l.msg.toString()]), ls)
    }
  )

  it("throws on a truncated message", () => {
    const whole = status([{ digest: "d", name: "[1/1] RUN x" }])
    assert.throws(() => BuildkitStatus.decode(whole.subarray(0, whole.length - 3)), /malformed BuildKit status/)
  })
})

describe("buildOutput", () => {
  it("names the failing step, its error and its output", () => {
    const report = feed([failedBuild])
    assert.strictEqual(report.imageId, undefined)
    assert.strictEqual(report.failedStep, "[2/3] RUN make")
    assert.strictEqual(report.error, "executor failed running [/bin/sh -c make]: exit code: 2")
    assert.deepStrictEqual(report.tail, ["compiling a", "compiling b", "warning: x"])
    assert.strictEqual(
      BuildOutput.failureMessage("Dockerfile", report),
      "docker build of Dockerfile failed at step [2/3] RUN make: process \"/bin/sh -c make\" did not complete " +
        "successfully: exit code: 2\nlast 3 lines of output:\ncompiling a\ncompiling b\nwarning: x"
    )
  })

  it("blames the step that failed, not the ones it canceled", () => {
    const failure = "executor failed running [/bin/sh -c exit 4]: exit code: 4"
    const steps = [
      trace(status([{ digest: "a", name: "[a 2/2] RUN exit 4" }, { digest: "b", name: "[b 2/2] RUN sleep 9" }])),
      trace(status([{ digest: "a", name: "[a 2/2] RUN exit 4", completed: true, error: failure }])),
      trace(status([{ digest: "b", name: "[b 2/2] RUN sleep 9", completed: true, error: "context canceled" }]))
    ]
    assert.strictEqual(feed([...steps, JSON.stringify({ error: failure }) + "\n"]).failedStep, "[a 2/2] RUN exit 4")
    assert.strictEqual(feed(steps.reverse()).failedStep, "[a 2/2] RUN exit 4")
  })

  it.prop(
    "reads the same whatever the chunking",
    [fc.array(fc.nat(), { maxLength: 12 })],
    ([points]) => {
      assert.deepStrictEqual(feed(cut(failedBuild, points)), feed([failedBuild]))
    }
  )

  it("takes the image id of a successful build and sees each line once", () => {
    const lines: Array<string> = []
    const out = BuildOutput.make((l) => lines.push(l))
    out.push(trace(status([{ digest: "a", name: "[1/2] FROM busybox" }])))
    out.push(trace(status([{ digest: "b", name: "[2/2] RUN echo hi" }], [log("b", 1, "hi\nno newline")])))
    out.push(JSON.stringify({ id: "moby.image.id", aux: { ID: "sha256:abc" } }))
    out.end()
    const report = out.report()
    assert.strictEqual(report.imageId, "sha256:abc")
    assert.strictEqual(report.error, undefined)
    assert.strictEqual(report.failedStep, undefined)
    assert.deepStrictEqual(lines, ["#1 [1/2] FROM busybox", "#2 [2/2] RUN echo hi", "hi", "no newline"])
  })

  it("reads the classic builder's stream too", () => {
    const report = feed([
      JSON.stringify({ stream: "Step 1/2 : FROM busybox" }) + "\n" + JSON.stringify({ stream: "\n" }) + "\n",
      JSON.stringify({ stream: " ---> Running in 0123\nboom\n" }) + "\n",
      JSON.stringify({ errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" }, error: "x" })
    ])
    assert.strictEqual(report.error, "The command '/bin/sh -c exit 3' returned a non-zero code: 3")
    assert.deepStrictEqual(report.tail, ["Step 1/2 : FROM busybox", " ---> Running in 0123", "boom"])
    assert.strictEqual(
      BuildOutput.failureMessage("Dockerfile", report).split("\n")[0],
      "docker build of Dockerfile failed: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"
    )
  })

  it("keeps a failure without a known step or output, and other errors verbatim", () => {
    assert.strictEqual(
      BuildOutput.failureMessage("a/Dockerfile", { imageId: undefined, error: "failed to solve: dockerfile parse error line 1: unknown instruction: FORM", failedStep: undefined, tail: [] }),
      "docker build of a/Dockerfile failed: dockerfile parse error line 1: unknown instruction: FORM"
    )
    assert.strictEqual(
      BuildOutput.failureMessage("Dockerfile", { imageId: undefined, error: undefined, failedStep: undefined, tail: [] }),
      "docker build of Dockerfile failed: no image was produced"
    )
  })

  it("shows only the last 20 lines", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`)
    const report = feed([
      trace(status([{ digest: "s", name: "[1/1] RUN seq" }], [log("s", 1, lines.join("\n") + "\n")])),
      trace(status([{ digest: "s", name: "[1/1] RUN seq", error: "exit code: 1", completed: true }]))
    ])
    const message = BuildOutput.failureMessage("Dockerfile", report)
    assert.include(message, "last 20 lines of output:\nline 10\n")
    assert.notInclude(message, "line 9\n")
    assert.isTrue(message.endsWith("line 29"))
  })
})
