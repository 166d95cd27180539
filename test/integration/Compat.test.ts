/**
 * Dagger's own npm client (`@dagger.io/dagger`, unchanged) drives dirk through `dirk run`.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

describe("Dagger's client through dirk run", () => {
  it("runs a pipeline: image, files, execs, directories, IDs, host inputs, exec errors", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/pipeline.mjs")])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.version).toBe("v0.21.8")
    expect(out.newFile).toBe("hello from a file")
    expect(out.workdirEnv).toBe("hi /work\n")
    expect(out.entries).toEqual(["a.txt", "sub/"])
    expect(out.withDirectory).toBe("B")
    expect(out.mounted).toBe("a.txt\nsub\n")
    expect(out.fileContents).toBe("A")
    expect(out.containerFile).toBe("why")
    expect(out.containerDirectory).toEqual(["one", "two"])
    expect(out.execError).toEqual({
      execError: {
        exitCode: 7,
        stdout: "partial",
        stderr: "failing",
        cmd: ["sh", "-c", "echo partial; echo failing >&2; exit 7"],
        message: expect.stringMatching(/exit code: 7$/)
      }
    })
    expect(out.expectFailure).toBe(2)
    expect(out.stdinRedirect).toBe("from stdin")
    expect(out.byId).toBe("by id\n")
    expect(out.sync).toBe("synced\n")
    expect(out.hostDirectory).toEqual(["a.txt", "sub/"])
    expect(out.hostFile).toBe("alpha\n")
    expect(out.entrypoint).toBe("from-entrypoint arg\n")
    expect(out.redirectStdout).toBe("to a file\n")
    expect(out.fileSizeName).toEqual([1, "b.txt"])
    expect(out.export).toEqual({ written: true, files: ["B", "A"] })
    expect(out.missingImage.error).toContain("dirk.local/no-such-image:1")
  })

  it("exits with the command's exit code and sets the session variables", async () => {
    const r = await dirk(["run", "--", "sh", "-c", "test -n \"$DAGGER_SESSION_PORT\" && test -n \"$DAGGER_SESSION_TOKEN\" && exit 42"])
    expect(r.code).toBe(42)
  })
})
