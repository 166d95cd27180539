/**
 * Terminals, in a real terminal (tmux): a `terminal` step of `dirk core`/`dirk call` and `-i` on a failed exec open
 * a shell in the container, attached to the user's terminal; what is typed there runs in the container, and the
 * chain goes on (or the failure is reported) once the shell exits. Without a terminal, both are clear errors.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, dirkBin, repoRoot, stateDirs } from "../support/cli.js"
import * as Tmux from "../support/tmux.js"

const states = stateDirs("dirk-terminal-state-")
const state = states.fresh()
const panes: Array<Tmux.Pane> = []
afterAll(async () => {
  for (const p of panes) p.close()
  await states.cleanup()
})

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`

/** `dirk ARGS…` in a tmux terminal; the pane shows `EXIT=<code>` when it ends. */
const inTerminal = (args: ReadonlyArray<string>): Tmux.Pane => {
  const command = [process.execPath, dirkBin, ...args].map(quote).join(" ")
  const pane = Tmux.open(`cd ${quote(repoRoot)} && env DIRK_STATE_DIR=${quote(state)} NO_COLOR=1 ${command}; echo EXIT=$?`)
  panes.push(pane)
  return pane
}

const terminalContainers = () =>
  execFileSync("docker", ["ps", "-a", "-q", "--filter", "label=dirk.terminal", "--filter", `label=dirk.state=${state}`], { encoding: "utf8" }).trim()

const busybox = ["container", "from", "--address", "dirk.local/busybox:latest"]

describe("terminal", () => {
  it("dirk core … terminal opens a shell in the container, then the chain goes on", async () => {
    const pane = inTerminal(["core", ...busybox, "with-env-variable", "--name", "GREETING", "--value", "hello", "terminal", "with-exec", "--args", "echo,after-the-shell", "stdout"])
    await pane.waitFor(/^\/ # $/m)
    pane.type("echo \"$GREETING-from-shell\"; stty size")
    // the variable is expanded in the container; its TTY has the size of the terminal
    await pane.waitFor(/^hello-from-shell\n40 120$/m)
    pane.type("exit")
    const screen = await pane.waitFor(/^EXIT=\d+$/m)
    expect(screen).toMatch(/^after-the-shell$/m)
    expect(screen).toMatch(/^EXIT=0$/m)
    expect(terminalContainers()).toBe("")
  })

  it("-i opens a shell in the container of a failed exec, with its changes; the failure is reported after", async () => {
    const pane = inTerminal(["core", "-i", "-q", ...busybox, "with-exec", "--args", "sh,-c,echo left-behind > /marker; exit 3", "stdout"])
    await pane.waitFor(/^\/ # $/m)
    pane.type("cat /marker")
    await pane.waitFor(/^left-behind$/m)
    pane.type("exit")
    const screen = await pane.waitFor(/^EXIT=\d+$/m)
    expect(screen).toContain("exit code: 3")
    expect(screen).toMatch(/^EXIT=1$/m)
    expect(terminalContainers()).toBe("")
  })

  it("works on a container a module function returns (dirk call … terminal)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-terminal-mod-"))
    expect((await dirk(["init", dir, "--sdk", "typescript", "--name", "term-mod"], { stateDir: state })).code).toBe(0)
    const pane = inTerminal(["call", "-q", "-m", dir, "container-echo", "--string-arg", "hi", "terminal", "--cmd", "sh,-c,echo in-$0; exec sh", "stdout"])
    await pane.waitFor(/^in-sh\n/m, 120_000)
    pane.type("ls /etc/alpine-release /usr/local/bin/node")
    await pane.waitFor(/^\/usr\/local\/bin\/node$/m)
    pane.type("exit")
    const screen = await pane.waitFor(/^EXIT=\d+$/m)
    expect(screen).toMatch(/^hi\nEXIT=0$/m)
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("without a terminal, a terminal step and -i are errors that say so", async () => {
    const step = await dirk(["core", "-q", ...busybox, "terminal"], { stateDir: state })
    expect(step.code).toBe(1)
    expect(step.stderr).toContain("terminal: no terminal is attached to this session")
    const debug = await dirk(["core", "-i", ...busybox, "with-exec", "--args", "false", "stdout"], { stateDir: state })
    expect(debug.code).toBe(1)
    expect(debug.stderr).toContain("-i/--interactive needs a terminal (stdin and stdout must be a TTY)")
  })
})
