/**
 * Directory fields through Dagger's own npm client (`@dagger.io/dagger`, unchanged) and `dirk run`.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

describe("Directory, with Dagger's client", () => {
  it("answers every Directory field with Dagger's values", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/directory.mjs")])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.globMd).toEqual(["sub/b.md", "sub/deep/c.md"])
    expect(out.globTop).toEqual(["a.txt"])
    expect(out.globAll).toEqual(["a.txt", "empty", "sub", "sub/b.md", "sub/deep", "sub/deep/c.md"])
    expect(out.globAlt).toEqual(["a.txt", "sub/b.md"])
    expect(out.globInvalid.error).toMatch(/invalid glob pattern "sub\/\[b\.md"/)
    expect(out.withoutFiles).toEqual(["empty", "sub", "sub/deep", "sub/deep/c.md"])
    expect(out.withFiles).toEqual({ entries: ["a.txt", "b.md"], permissions: 0o600 })
    expect(out.exists).toEqual([true, false, true, false, true])
    expect(out.stat).toEqual({ name: "b.md", size: 1, permissions: 0o644, fileType: "REGULAR" })
    expect(out.statDir).toBe("DIRECTORY")
    expect(out.statMissing.error).toContain("stat nope: no such file or directory")
    expect(out.symlink).toEqual({ contents: "A", type: "SYMLINK", followed: "REGULAR", exists: true })
    // equal content → equal digest; one file's mode differs → different digests, and execs see each mode
    expect(out.digest.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(out.digest.sameContent).toBe(out.digest.digest)
    expect(out.digest.mode644).not.toBe(out.digest.mode755)
    expect(out.digest.execModes).toEqual(["644\n", "755\n"])
    expect(out.diff).toEqual(["new.txt", "sub", "sub/deep", "sub/deep/c.md"])
    expect(out.filter).toEqual({ include: ["sub", "sub/b.md", "sub/deep", "sub/deep/c.md"], exclude: ["a.txt", "empty"] })
    expect(out.filterGitignore).toEqual([
      ".gitignore", "a.txt", "build", "build/keep.txt", "empty", "keep.md", "sub", "sub/.gitignore", "sub/b.md", "sub/deep"
    ])
    expect(out.withDirectoryGitignore).toEqual(["x", ...out.filterGitignore.map((p: string) => `x/${p}`)])
    expect(out.containerWithDirectoryGitignore).toEqual([
      "/g/.gitignore", "/g/a.txt", "/g/build/keep.txt", "/g/keep.md", "/g/sub/.gitignore", "/g/sub/b.md"
    ])
    expect(out.hostGitignore).toEqual({
      sub: ["index.js"],
      without: ["debug.log", "index.js", "node_modules", "node_modules/x", "node_modules/x/y.js"]
    })
    expect(out.timestamps).toBe("1672531199\n1672531199\n1672531199\n")
    expect(out.name).toEqual(["/", "deep/", "etc/"])
    expect(out.binary).toEqual({ size: 256, containerSize: 256, dirExportEqual: true, fileExportEqual: true })
    expect(out.exportOntoFile.error).toMatch(/cannot export to .*plain: it exists and is not a directory/)
    expect(out.exportUnderFile.error).toMatch(/cannot export to .*plain\/below: a parent is not a directory/)
    expect(out.exportReadOnly.error).toMatch(/cannot export to \/sys\/dirk-export: operation not permitted/)
    expect(out.exportEscape.outsideWritten).toBe(false)
    expect(out.exportEscape.aboveWritten).toBe(false)
    expect(out.exportEscape.link).toMatch(/\/outside$/)
    expect(out.exportEscape.entries).toContain("pwn2.txt")
    expect(out.exportEscape.entries).toContain("pwn3.txt")
  })
})
