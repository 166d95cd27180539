/**
 * The live view on a real terminal (tmux): the tree of operations redrawn in place while a call runs, with elapsed
 * times and the last lines of a running exec; finished subtrees folded, failures left open with their stderr; a
 * clean summary at the end; a terminal too narrow gets plain lines.
 */
import { afterAll, describe, expect, it } from "vitest"
import { dirkBin, repoRoot, stateDirs } from "../support/cli.js"
import * as Tmux from "../support/tmux.js"

const states = stateDirs("dirk-live-state-")
const state = states.fresh()
afterAll(() => states.cleanup())

const run = `${process.pid}-${Date.now()}`
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** A shell line running dirk with `args` in the pane, then printing its exit code; the pane stays open after. */
const line = (args: ReadonlyArray<string>) =>
  `cd ${quote(repoRoot)} && DIRK_STATE_DIR=${quote(state)} NO_COLOR=1 CI= ${quote(process.execPath)} ${quote(dirkBin)} ${
    args.map(quote).join(" ")
  }; echo EXIT=$?; sleep 300`

const busybox = ["container", "from", "--address", "dirk.local/busybox:latest"]
const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern, "g")) ?? []).length

describe("live view", () => {
  it("redraws the running exec in place with its last lines; a failure stays open with its stderr", async () => {
    const script = `for i in 1 2 3 4 5 6; do echo tick-$i-${run}; sleep 1; done; printf 'bin\\001\\033[2J\\033[31m'; ` +
      `echo; echo boom-${run} >&2; exit 3`
    const pane = Tmux.open(line(["core", ...busybox, "with-exec", "--args", `sh,-c,${script}`, "stdout"]))
    try {
      const running = await pane.waitFor(new RegExp(`│ tick-4-${run}`), 90_000)
      // one frame, redrawn in place: the op once, its elapsed time, the footer
      expect(count(running, /exec sh -c/), running).toBe(1)
      expect(running).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] exec sh -c .* \d+(\.\d)?s$/m)
      expect(running).toMatch(/^\d+(ms|\.\ds)  1 running/m)
      expect(count(running, /running, /g), running).toBe(1)
      // only the last lines of the output
      expect(running, running).not.toContain(`tick-1-${run}`)
      const done = await pane.waitFor(/EXIT=1/, 60_000)
      expect(done).toMatch(/^✘ exec sh -c .* failed \d+\.\ds$/m)
      expect(done).toContain(`  │ boom-${run}`)
      expect(done).toMatch(/^✘ failed in \d+\.\ds: \d+ ran, \d+ cached, 1 failed$/m)
      expect(done).toContain("Error: process")
      // the exec's escape sequences (clear screen, colours) never reached the terminal: what was drawn is still there
      expect(done).not.toMatch(/\x1b/)
      // no frame left behind
      expect(done).not.toContain("running")
      expect(done).not.toMatch(/│ tick-/)
      expect(count(done, /exec sh -c/), done).toBe(1)
    } finally {
      pane.close()
    }
  })

  it("folds a finished subtree and leaves a summary; -v unfolds it; stdout holds the result", async () => {
    const chain = (tag: string) =>
      [...busybox, "with-exec", "--args", `sh,-c,echo ${tag}-${run} > /f; sleep 1`, "with-exec", "--args", "cat,/f", "stdout"]
    const pane = Tmux.open(line(["core", ...chain("folded")]))
    try {
      const done = await pane.waitFor(/EXIT=0/, 90_000)
      expect(done).toMatch(/^✔ exec cat \/f +\d+(ms|\.\ds)$/m)
      // its input (the first exec) is folded under it
      expect(done, done).not.toContain(`echo folded-${run}`)
      expect(done).toMatch(/^✔ done in \d+(ms|\.\ds): 2 ran, \d+ cached$/m)
      expect(done).toContain(`\nfolded-${run}\nEXIT=0`)
      expect(done.split("\n")[0]).toMatch(/^✔ exec cat/)
    } finally {
      pane.close()
    }
    const verbose = Tmux.open(line(["core", "-v", ...chain("unfolded")]))
    try {
      const done = await verbose.waitFor(/EXIT=0/, 90_000)
      expect(done).toMatch(/^✔ exec cat \/f +\d+(ms|\.\ds)$/m)
      expect(done).toMatch(new RegExp(`^  ✔ exec sh -c "echo unfolded-${run} > /f; sleep 1" +\\d+(ms|\\.\\ds)$`, "m"))
      expect(done).toMatch(/^    ● from /m)
    } finally {
      verbose.close()
    }
  })

  it("a terminal too narrow gets plain lines", async () => {
    const pane = Tmux.open(line(["core", ...busybox, "with-exec", "--args", `echo,narrow-${run}`, "stdout"]), { columns: 30, rows: 20 })
    try {
      const done = await pane.waitFor(/EXIT=0/, 90_000)
      expect(done).toMatch(/dirk │ ▶ exec echo narrow-/)
      expect(done).not.toMatch(/running/)
    } finally {
      pane.close()
    }
  })
})

