/**
 * File fields (and the root `file`) through Dagger's own npm client (`@dagger.io/dagger`, unchanged) and `dirk run`.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

describe("File, with Dagger's client", () => {
  it("answers every File field with Dagger's values", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/file.mjs")])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    const text = "hello world\nhello again\n"
    expect(out.root).toEqual({ name: "hello.txt", contents: text, size: 24, permissions: 0o644, custom: 0o755 })
    expect(out.rootWithDir.error).toContain("must not contain a directory")
    expect(out.stat).toEqual({ name: "hello.txt", size: 24, permissions: 0o644, fileType: "REGULAR" })
    expect(out.digest.contentOnly).toBe(out.digest.expected)
    expect(out.digest.otherModeContentOnly).toBe(out.digest.expected)
    expect(out.digest.withMetadata).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(out.digest.withMetadata).not.toBe(out.digest.otherModeWithMetadata)
    expect(out.withName).toEqual({ name: "renamed.txt", contents: text, inDir: ["renamed.txt"] })
    expect(out.withNameDir.error).toContain("must not contain a directory")
    expect(out.withTimestamps).toBe("1672531199\n")
    expect(out.replaceOne).toBe("hello there\nhello again\n")
    expect(out.replaceMultiple.error).toContain("search string found multiple times: line 1 (0-5), line 2 (0-5)")
    expect(out.replaceAll).toBe("bye world\nbye again\n")
    expect(out.replaceFirstFrom).toBe("hello world\nbye again\n")
    expect(out.replaceNotFound.error).toContain("search string not found")
    expect(out.replaceAllNotFound).toBe(text)
    expect(out.replaceKeepsMode).toBe(0o755)
  })
})
