/**
 * Issue 8 end to end: plain progress with exec output and levels (stderr only; the result alone on stdout), traces
 * received by an OTLP/HTTP receiver on loopback, and `--graph` pictures of a run.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, repoRoot, stateDirs } from "../support/cli.js"

const states = stateDirs("dirk-progress-state-")
const state = states.fresh()
afterAll(() => states.cleanup())

const busybox = ["container", "from", "--address", "dirk.local/busybox:latest"]
// a unique marker per run, so that nothing is served from the cache of an earlier test run
const run = `${process.pid}-${Date.now()}`
// eslint-disable-next-line no-control-regex
const escapes = /\x1b/

describe("plain progress", () => {
  it("dirk run: plain lines on stderr for what the command asks for (its exec and output); -q none; stdout is the command's", async () => {
    const fixture = path.join(repoRoot, "test/fixtures/client/progress.mjs")
    const shown = await dirk(["run", "node", fixture], { stateDir: state, env: { MARK: `a-${run}` } })
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toBe(`client got: run-out-a-${run}\n`)
    const lines = shown.stderr.split("\n")
    expect(lines.some((l) => /^dirk │ ✔ exec sh -c .* \d/.test(l)), shown.stderr).toBe(true)
    expect(lines.some((l) => l.startsWith("dirk │ ┊  exec sh -c") && l.endsWith(`│ run-out-a-${run}`)), shown.stderr).toBe(true)
    expect(shown.stderr).not.toMatch(escapes)
    const quiet = await dirk(["run", "-q", "node", fixture], { stateDir: state, env: { MARK: `b-${run}` } })
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(quiet.stdout).toBe(`client got: run-out-b-${run}\n`)
    expect(quiet.stderr).toBe("")
  })


  it("prints exec output lines prefixed by their op, escaped and clipped, between its start and end lines", async () => {
    const script = `echo out-${run}; echo err-${run} >&2; printf 'bin\\001\\033[31mred\\033[0m\\n'; head -c 6000 /dev/zero | tr '\\0' x; echo`
    const r = await dirk(["core", "--progress=plain", ...busybox, "with-exec", "--args", `sh,-c,${script}`, "stdout"], {
      stateDir: state
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.startsWith(`out-${run}\nbin\x01\x1b[31mred\x1b[0m\nxxx`)).toBe(true)
    expect(r.stdout).toContain("x".repeat(6000))
    expect(r.stdout).not.toContain("dirk │")
    expect(escapes.test(r.stderr)).toBe(false)
    const lines = r.stderr.split("\n")
    const start = lines.findIndex((l) => /^dirk │ ▶ exec sh -c /.test(l))
    const end = lines.findIndex((l) => /^dirk │ ✔ exec sh -c .* \d/.test(l))
    const out = lines.findIndex((l) => new RegExp(`^dirk │ ┊  exec sh -c .*│ out-${run}$`).test(l))
    const err = lines.findIndex((l) => new RegExp(`^dirk │ ┊! exec sh -c .*│ err-${run}$`).test(l))
    expect(start, r.stderr).toBeGreaterThanOrEqual(0)
    expect(out, r.stderr).toBeGreaterThan(start)
    expect(err, r.stderr).toBeGreaterThan(start)
    expect(end, r.stderr).toBeGreaterThan(Math.max(out, err))
    expect(r.stderr).toContain("│ bin\\x01red")
    const long = lines.find((l) => l.includes("│ xxxx"))!
    expect(long.endsWith("…")).toBe(true)
    expect(long.length).toBeLessThan(4200)
  })

  it("levels: -q prints the result only, -v every op (also those served from memory), --debug digests and the session", async () => {
    const args = [...busybox, "with-exec", "--args", `echo,levels-${run}`, "stdout"]
    const quiet = await dirk(["core", "-q", ...args], { stateDir: state })
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(quiet.stdout).toBe(`levels-${run}\n`)
    expect(quiet.stderr).toBe("")
    const normal = await dirk(["core", ...args], { stateDir: state, env: { CI: "true" } })
    expect(normal.stdout).toBe(`levels-${run}\n`)
    const verbose = await dirk(["core", "-v", ...args], { stateDir: state })
    expect(verbose.stdout).toBe(`levels-${run}\n`)
    // the same call again: its exec is served from memory; the default shows it too (the request asked for it; ops
    // under what was asked for that come from memory show only with -v: test/unit/Cli/ProgressView.test.ts)
    expect(normal.stderr).toMatch(new RegExp(`dirk │ ● exec echo levels-${run}  cached`))
    expect(verbose.stderr).toMatch(new RegExp(`dirk │ ● exec echo levels-${run}  cached`))
    const debug = await dirk(["core", "--debug", ...args], { stateDir: state })
    expect(debug.stdout).toBe(`levels-${run}\n`)
    expect(debug.stderr).toMatch(/^dirk │ session \S+ at http:\/\/127\.0\.0\.1:\d+\/query/m)
    expect(debug.stderr).toMatch(new RegExp(`dirk │ ● exec echo levels-${run}  cached  \\[[0-9a-f]{12}\\]`))
  })

  it("bad --progress values are refused", async () => {
    const r = await dirk(["core", "--progress=fancy", ...busybox], { stateDir: state })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`invalid value "fancy" for --progress (use auto, plain or tty)`)
  })
})

describe("traces", () => {
  it("sends a span per op to an OTLP/HTTP collector; a secret is in no span and no progress line", async () => {
    const bodies: Array<string> = []
    const server = http.createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (c: string) => (body += c))
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/v1/traces") bodies.push(body)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    try {
      const secret = `hunter2-${run}`
      const r = await dirk([
        "--engine",
        "embedded",
        "core",
        "--progress=plain",
        ...busybox,
        "with-secret-variable",
        "--name",
        "TOKEN",
        "--secret",
        "env:DIRK_TEST_TOKEN",
        "with-exec",
        "--args",
        `sh,-c,echo traced-${run}; echo "token: $TOKEN"; echo "err $TOKEN" >&2`,
        "stdout"
      ], {
        env: {
          DIRK_TEST_TOKEN: secret,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_SERVICE_NAME: "dirk-test"
        }
      })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`traced-${run}\ntoken: ***\n`)
      // the exec's output in the progress is scrubbed like its result
      expect(r.stderr).toMatch(/^dirk │ ┊  exec sh -c .*│ token: \*\*\*$/m)
      expect(r.stderr).toMatch(/^dirk │ ┊! exec sh -c .*│ err \*\*\*$/m)
      expect(bodies.length, "no OTLP request received").toBeGreaterThan(0)
      interface Span {
        readonly name: string
        readonly traceId: string
        readonly spanId: string
        readonly parentSpanId?: string
        readonly attributes?: ReadonlyArray<{ key: string; value: { stringValue?: string } }>
      }
      const spans: Array<Span> = []
      for (const body of bodies) {
        const doc = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
            scopeSpans: Array<{ spans: Array<Span> }>
          }>
        }
        for (const rs of doc.resourceSpans) {
          expect(rs.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "dirk-test" } })
          for (const ss of rs.scopeSpans) spans.push(...ss.spans)
        }
      }
      const names = spans.map((s) => s.name)
      const exec = spans.find((s) => s.name.startsWith(`exec sh -c "echo traced-${run};`))
      expect(exec, names.join("\n")).toBeDefined()
      expect(exec!.attributes?.find((a) => a.key === "dirk.digest")?.value.stringValue).toMatch(/[0-9a-f]{16}/)
      // the image the exec ran in was made inside the exec's span
      const from = spans.find((s) => s.name.startsWith("from ") && s.parentSpanId !== undefined &&
        spans.some((p) => p.spanId === s.parentSpanId && p.name === exec!.name))
      expect(from, names.join("\n")).toBeDefined()
      for (const body of bodies) expect(body).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    } finally {
      server.close()
    }
  })
})

describe("--graph", () => {
  it("writes an SVG of the run: every op, its duration and cache status, the critical path", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-graph-"))
    const file = path.join(dir, "run.svg")
    try {
      const r = await dirk([
        "core",
        "--graph",
        file,
        ...busybox,
        "with-exec",
        "--args",
        `sh,-c,sleep 1; echo graph-${run} > /a`,
        "with-exec",
        "--args",
        "cat,/a",
        "stdout"
      ], { stateDir: state })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`graph-${run}\n`)
      expect(r.stderr).toContain(`Graph of the run saved to "${file}".`)
      const svg = fs.readFileSync(file, "utf8")
      expect(svg.startsWith("<svg")).toBe(true)
      expect(svg).toContain("exec cat /a")
      expect(svg).toContain(`exec sh -c &quot;sleep 1; echo graph-${run} &gt; /a&quot;`)
      expect(svg).toMatch(/>1\.\ds</)
      expect(svg).toContain("critical path")
      expect(svg).toMatch(/stroke="#f08c00" stroke-width="2"/)
      fs.copyFileSync(file, path.join(os.tmpdir(), "dirk-progress-last-graph.svg"))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
