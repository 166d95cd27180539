/**
 * Test support: runs a command in a detached tmux session (a real terminal: TTY, raw mode, resize), types into it
 * with send-keys and reads the screen with capture-pane. Each session has its own tmux server (`-L`), killed by
 * `close`. tmux is installed by scripts/setup.sh.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"

export interface Pane {
  /** The screen's text (with scrollback). */
  readonly capture: () => string
  /** Types `text`, then Enter. */
  readonly type: (text: string) => void
  /** Waits until the screen matches `pattern`; fails with the screen after `timeoutMs`. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>
  readonly close: () => void
}

const tmux = (server: string, args: ReadonlyArray<string>): string => {
  try {
    return execFileSync("tmux", ["-L", server, ...args], { encoding: "utf8" })
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") throw new Error("tmux is not installed: run bash scripts/setup.sh (or apt-get install -y tmux)")
    throw e
  }
}

/** Starts `command` (a shell command line) in a new terminal of `size` (default 120x40). */
export const open = (command: string, size: { readonly columns: number; readonly rows: number } = { columns: 120, rows: 40 }): Pane => {
  const server = `dirk-test-${randomBytes(4).toString("hex")}`
  tmux(server, ["new-session", "-d", "-s", "t", "-x", String(size.columns), "-y", String(size.rows), command])
  tmux(server, ["set-option", "-t", "t", "remain-on-exit", "on"])
  const capture = () => tmux(server, ["capture-pane", "-p", "-J", "-S", "-200", "-t", "t"])
  return {
    capture,
    type: (text) => {
      tmux(server, ["send-keys", "-t", "t", "-l", text])
      tmux(server, ["send-keys", "-t", "t", "Enter"])
    },
    waitFor: async (pattern, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const screen = capture()
        if (pattern.test(screen)) return screen
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the screen:\n${screen}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    close: () => {
      try {
        tmux(server, ["kill-server"])
      } catch {
        // already gone
      }
    }
  }
}
