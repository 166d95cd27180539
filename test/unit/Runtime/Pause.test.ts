/**
 * The pause program (PID 1 of containers whose command runs as an exec): a valid ELF for this machine that waits
 * until it is killed. Runs on the host, no Docker.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Pause from "../../../src/Runtime/internal/Pause.js"

describe("Pause", () => {
  it("is an ELF executable for amd64 and arm64, none for other architectures", () => {
    for (const [arch, machine] of [["x64", 0x3e], ["arm64", 0xb7]] as const) {
      const p = Pause.program(arch)!
      assert.deepStrictEqual([...p.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46])
      assert.strictEqual(p.readUInt16LE(18), machine)
      assert.strictEqual(Number(p.readBigUInt64LE(24)), 0x400000 + 120) // entry right after the headers
      assert.strictEqual(Number(p.readBigUInt64LE(64 + 32)), p.length) // the segment covers the file
    }
    assert.isUndefined(Pause.program("riscv64"))
  })

  it("runs on this machine and waits until a signal ends it", async () => {
    const bytes = Pause.program()
    assert.isDefined(bytes, `no pause program for ${process.arch}`)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dirk-pause-")), "pause")
    fs.writeFileSync(file, bytes!, { mode: 0o755 })
    const child = spawn(file, [], { stdio: "ignore" })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })))
    await new Promise((r) => setTimeout(r, 300))
    assert.strictEqual(child.exitCode, null)
    child.kill("SIGTERM") // not PID 1 here: the default action ends it too
    assert.deepStrictEqual(await exited, { code: null, signal: "SIGTERM" })
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
  })
})
