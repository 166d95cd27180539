import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { ProgressEvent } from "../../../src/Dag/Solver.js"
import * as Graph from "../../../src/Cli/Graph.js"
import * as LiveView from "../../../src/Cli/LiveView.js"
import * as PlainProgress from "../../../src/Cli/PlainProgress.js"
import * as ProgressTree from "../../../src/Cli/ProgressTree.js"
import * as ProgressView from "../../../src/Cli/ProgressView.js"
import type { CliIoShape } from "../../../src/Cli/CliIo.js"
import * as TextSafe from "../../../src/Cli/TextSafe.js"

const ev = (e: Partial<ProgressEvent> & Pick<ProgressEvent, "digest" | "phase">): ProgressEvent => ({
  description: e.digest,
  cached: false,
  durationMs: 0,
  ...e
})
const out = (digest: string, text: string, stream: "stdout" | "stderr" = "stdout"): ProgressEvent =>
  ev({ digest, phase: "output", description: `exec ${digest}`, output: { stream, text } })

// eslint-disable-next-line no-control-regex
const controlChars = /[\x00-\x1f\x7f-\x9f]/

describe("TextSafe", () => {
  it.prop("sanitize leaves no control character (no escape sequence can reach the terminal)", [fc.string({ unit: "binary" })], ([s]) => {
    assert.isFalse(controlChars.test(TextSafe.sanitize(s)))
  })

  it.prop("clip fits the columns, and keeps what fits as it is", [fc.string({ unit: "grapheme" }), fc.integer({ min: 1, max: 60 })], ([s, n]) => {
    const clipped = TextSafe.clip(s, n)
    assert.isAtMost(TextSafe.width(clipped), n)
    if (TextSafe.width(s) <= n) assert.strictEqual(clipped, s)
    else assert.isTrue(clipped.endsWith(TextSafe.clipMarker))
  })

  it("strips colours, escapes other controls, counts wide characters as two columns", () => {
    assert.strictEqual(TextSafe.sanitize("\x1b[31mred\x1b[0m \x01\x00\tx\x1b]0;title\x07!"), "red \\x01\\x00  x!")
    assert.strictEqual(TextSafe.width("日本"), 4)
    assert.strictEqual(TextSafe.clip("日本語です", 5), "日本…")
  })

  it.prop("splitLines loses nothing: the lines and the rest are the input", [fc.array(fc.string({ unit: fc.constantFrom("a", "b", "\n") }))], ([chunks]) => {
    let pending = ""
    const lines: Array<string> = []
    for (const c of chunks) {
      const r = TextSafe.splitLines(pending, c)
      lines.push(...r.lines)
      pending = r.rest
    }
    assert.strictEqual([...lines, pending].join("\n"), chunks.join(""))
  })

  it("splitLines: CRLF ends a line, a progress bar keeps its last state, an endless line is cut", () => {
    assert.deepStrictEqual(TextSafe.splitLines("", "a\r\n10%\r50%\r100%\nb"), { lines: ["a", "100%"], rest: "b" })
    const long = TextSafe.splitLines("", "x".repeat(TextSafe.maxPending * 2 + 5))
    assert.strictEqual(long.lines.length, 2)
    assert.strictEqual(long.rest.length, 5)
  })
})

describe("ProgressTree", () => {
  it("builds the tree from parents, keeps output tails, completes the last line at the end", () => {
    const tree = ProgressTree.make(0, 2)
    ProgressTree.apply(tree, ev({ digest: "call", phase: "start" }), 0)
    ProgressTree.apply(tree, ev({ digest: "x", phase: "start", parent: "call" }), 1)
    ProgressTree.apply(tree, out("x", "1\n2\n3\npart"), 2)
    const flushed = ProgressTree.apply(tree, ev({ digest: "x", phase: "end", durationMs: 5, parent: "call" }), 3)
    ProgressTree.apply(tree, ev({ digest: "x", phase: "end", cached: true, parent: "other" }), 4)
    assert.deepStrictEqual(flushed, [{ stream: "stdout", text: "part" }])
    const x = tree.nodes.get("x")!
    assert.deepStrictEqual(tree.roots, ["call"])
    assert.deepStrictEqual(tree.nodes.get("call")!.children, ["x"])
    assert.deepStrictEqual(x.tail.map((l) => l.text), ["3", "part"])
    assert.strictEqual(x.lineCount, 4)
    assert.strictEqual(x.status, "done")
    assert.deepStrictEqual(x.alsoFor, ["other"])
  })
})

describe("PlainProgress", () => {
  it("prints starts, ends and output lines with the op's label; memo hits only with -v; digests with --debug", () => {
    const run = (level: PlainProgress.Level) => {
      const print = PlainProgress.make(ProgressTree.make(0), { level })
      return [
        print(ev({ digest: "e1", phase: "start", description: "exec npm test" }), 0),
        print(out("e1", "ok 1\n\x1b[32mok 2\x1b[0m\nnot ok\x07"), 1),
        print(ev({ digest: "e1", phase: "end", description: "exec npm test", durationMs: 1200 }), 2),
        print(ev({ digest: "m", phase: "end", description: "from busybox", cached: true, parent: "e1" }), 3)
      ].join("")
    }
    assert.strictEqual(
      run("default"),
      "dirk │ ▶ exec npm test\n" +
        "dirk │ ┊  exec npm test │ ok 1\n" +
        "dirk │ ┊  exec npm test │ ok 2\n" +
        "dirk │ ┊  exec npm test │ not ok\\x07\n" +
        "dirk │ ✔ exec npm test  1.2s\n"
    )
    assert.include(run("verbose"), "dirk │ ● from busybox  cached\n")
    // what the request itself asked for (no parent), served from memory: shown at the default level too
    const top = PlainProgress.make(ProgressTree.make(0), { level: "default" })
    assert.strictEqual(top(ev({ digest: "t", phase: "end", description: "exec make", cached: true }), 0), "dirk │ ● exec make  cached\n")
    assert.include(run("debug"), "dirk │ ● from busybox  cached  [m ← e1]\n")
    assert.strictEqual(run("quiet"), "")
  })

  it("clips long output lines and long labels with a marker", () => {
    const line = PlainProgress.outputLine("exec " + "a".repeat(100), { stream: "stderr", text: "y".repeat(10_000) })
    assert.isTrue(line.startsWith(`dirk │ ┊! exec ${"a".repeat(34)}… │ yyy`))
    assert.isTrue(line.endsWith("…\n"))
    assert.isBelow(line.length, PlainProgress.lineColumns + 100)
  })
})

const sample = (): ProgressTree.Tree => {
  const tree = ProgressTree.make(0)
  ProgressTree.apply(tree, ev({ digest: "fn", phase: "start", description: "ci.build" }), 0)
  ProgressTree.apply(tree, ev({ digest: "img", phase: "start", parent: "fn", description: "from node" }), 10)
  ProgressTree.apply(tree, ev({ digest: "img", phase: "end", parent: "fn", description: "from node", cached: true }), 20)
  ProgressTree.apply(tree, ev({ digest: "ok", phase: "start", parent: "fn", description: "exec npm ci" }), 30)
  ProgressTree.apply(tree, out("ok", "added 10 packages\n"), 40)
  ProgressTree.apply(tree, ev({ digest: "ok", phase: "end", parent: "fn", description: "exec npm ci", durationMs: 900 }), 930)
  ProgressTree.apply(tree, ev({ digest: "bad", phase: "start", parent: "fn", description: "exec npm test" }), 940)
  ProgressTree.apply(tree, out("bad", "boom: expected 1\n", "stderr"), 950)
  ProgressTree.apply(tree, ev({ digest: "run", phase: "start", parent: "fn", description: "exec sleep 9" }), 950)
  ProgressTree.apply(tree, out("run", "tick 1\ntick 2\ntick 3\ntick 4\n"), 960)
  ProgressTree.apply(
    tree,
    ev({ digest: "bad", phase: "end", parent: "fn", description: "exec npm test", durationMs: 50, error: "exit code: 1" }),
    990
  )
  return tree
}

describe("LiveView", () => {
  it("draws running ops with their last lines, folds what is done, keeps failures open", () => {
    const frame = LiveView.frame(sample(), 2000, { columns: 60, rows: 30 }, { verbose: false })
    const text = frame.join("\n")
    assert.match(frame[0]!, /^⠋ ci\.build +2\.0s$/)
    assert.include(text, "  ✔ exec npm ci")
    assert.include(text, "  ✘ exec npm test")
    assert.include(text, "    │ boom: expected 1")
    assert.include(text, "    exit code: 1")
    assert.include(text, "    │ tick 4")
    assert.notInclude(text, "tick 1")
    assert.notInclude(text, "added 10 packages")
    assert.match(frame[frame.length - 1]!, /2 running, 1 ran, 1 cached, 1 failed/)
  })

  it.prop("a frame never is wider or taller than the terminal allows", [fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 })], ([columns, rows]) => {
    const frame = LiveView.frame(sample(), 2000, { columns, rows }, { verbose: true })
    assert.isAtMost(frame.length, Math.max(1, rows - 1))
    for (const line of frame) {
      assert.isAtMost(TextSafe.width(line), Math.max(1, columns - 1))
      assert.isFalse(controlChars.test(line))
    }
  })

  it("leaves a summary", () => {
    const s = LiveView.summary(sample(), 3000, 80, { verbose: false })
    assert.match(s[s.length - 1]!, /^✘ failed in 3\.0s: 1 ran, 1 cached, 1 failed$/)
  })
})

describe("Graph", () => {
  it("draws every op with its status and duration, and marks the critical path", () => {
    const tree = sample()
    const svg = Graph.svg(tree, 3000)
    assert.isTrue(svg.startsWith("<svg"))
    for (const name of ["ci.build", "from node", "exec npm ci", "exec npm test", "exec sleep 9"]) assert.include(svg, name)
    assert.include(svg, ">900ms<")
    assert.include(svg, ">cached<")
    assert.include(svg, ">failed 50ms<")
    assert.deepStrictEqual([...Graph.criticalPath(tree, 3000)], ["fn", "run"])
  })

  it("escapes descriptions as XML", () => {
    const tree = ProgressTree.make(0)
    ProgressTree.apply(tree, ev({ digest: "a", phase: "start", description: "exec sh -c \"a<b && c\"" }), 0)
    const svg = Graph.svg(tree, 5)
    assert.include(svg, "a&lt;b &amp;&amp; c")
    assert.notInclude(svg, "a<b")
  })
})

describe("ProgressView.choose", () => {
  const io = (env: Record<string, string>, size: { columns: number; rows: number } | undefined) =>
    ({ env, stderrSize: () => size }) as unknown as CliIoShape
  const settings = (mode: ProgressView.Mode): ProgressView.Settings => ({ mode, level: "default", explainCache: false })
  const term = { columns: 100, rows: 30 }

  it("auto: the live view on a terminal, plain lines on a pipe, with CI set, on a dumb or too narrow terminal", () => {
    assert.strictEqual(ProgressView.choose(settings("auto"), io({}, term)), "tty")
    assert.strictEqual(ProgressView.choose(settings("auto"), io({}, undefined)), "plain")
    assert.strictEqual(ProgressView.choose(settings("auto"), io({ CI: "true" }, term)), "plain")
    assert.strictEqual(ProgressView.choose(settings("auto"), io({ CI: "false" }, term)), "tty")
    assert.strictEqual(ProgressView.choose(settings("auto"), io({ TERM: "dumb" }, term)), "plain")
    assert.strictEqual(ProgressView.choose(settings("auto"), io({}, { columns: 39, rows: 30 })), "plain")
  })

  it("plain and tty are forced (tty still needs a terminal)", () => {
    assert.strictEqual(ProgressView.choose(settings("plain"), io({}, term)), "plain")
    assert.strictEqual(ProgressView.choose(settings("tty"), io({ CI: "1" }, term)), "tty")
    assert.strictEqual(ProgressView.choose(settings("tty"), io({}, undefined)), "plain")
  })
})
