/**
 * `dirk core …` end to end: core API functions chained from the root, with `dirk call`'s output rules and errors.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, stateDirs } from "../support/cli.js"

const states = stateDirs("dirk-core-state-")
const state = states.fresh()
afterAll(() => states.cleanup())

const busybox = ["container", "from", "--address", "dirk.local/busybox:latest"]

describe("dirk core", () => {
  it("chains core functions from the root and prints a string result raw", async () => {
    const r = await dirk(["core", ...busybox, "with-exec", "--args", "echo,hi", "stdout"], { stateDir: state })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe("hi\n")
    expect(r.stderr).toContain("dirk │ ✔ exec echo hi")
  })

  it("prints objects as Type@digest, lists one item per line, JSON with -j, and saves with -o", async () => {
    const ctr = await dirk(["core", "-q", ...busybox], { stateDir: state })
    expect(ctr.code, ctr.stderr).toBe(0)
    expect(ctr.stdout).toMatch(/^Container@sha256:[0-9a-f]{12}$/)
    const dir = ["directory", "with-new-file", "--path", "a.txt", "--contents", "A", "with-new-file", "--path", "b/c.txt", "--contents", "C"]
    const entries = await dirk(["core", "-q", ...dir, "entries"], { stateDir: state })
    expect(entries.code, entries.stderr).toBe(0)
    expect(entries.stdout.split("\n")).toEqual(["a.txt", "b/"])
    const json = await dirk(["core", "-q", "-j", ...dir, "entries"], { stateDir: state })
    expect(JSON.parse(json.stdout)).toEqual(["a.txt", "b/"])
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-core-out-"))
    const saved = await dirk(["core", "-q", ...dir, "-o", path.join(out, "tree")], { stateDir: state })
    expect(saved.code, saved.stderr).toBe(0)
    expect(fs.readFileSync(path.join(out, "tree/b/c.txt"), "utf8")).toBe("C")
    fs.rmSync(out, { recursive: true, force: true })
  })

  it("reports a failed exec with its command, exit code and output", async () => {
    const r = await dirk(["core", "-q", ...busybox, "with-exec", "--args", "sh,-c,echo broken >&2; exit 3", "stdout"], { stateDir: state })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("command:   sh -c echo broken >&2; exit 3")
    expect(r.stderr).toContain("exit code: 3")
    expect(r.stderr).toContain("broken")
  })

  it("shows help from the schema and names bad input", async () => {
    const help = await dirk(["core", "--help"], { stateDir: state })
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^ {2}container\s+Creates a scratch container/m)
    expect(help.stdout).toContain("dirk core [options] <function>")
    const from = await dirk(["core", "container", "from", "--help"], { stateDir: state })
    expect(from.stdout).toContain("--address String")
    expect(from.stdout).toContain("RETURNS Container")

    const unknown = await dirk(["core", "-q", "contaner"], { stateDir: state })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(`unknown function "contaner" for Query; did you mean container?; available: version, default-platform, container,`)
    const missing = await dirk(["core", "-q", "container", "from"], { stateDir: state })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`required flag --address not set for "from"`)
    const mod = await dirk(["core", "-q", "-m", ".", "container"], { stateDir: state })
    expect(mod.code).toBe(1)
    expect(mod.stderr).toContain("dirk core loads no module")
  })
})
