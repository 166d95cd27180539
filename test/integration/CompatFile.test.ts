/**
 * File through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/file.mjs prints
 * what each step returned, and each `it` checks one field or behaviour against Dagger's value.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"

let out: Steps
const text = "hello world\nhello again\n"

beforeAll(async () => {
  out = await runCompat("file.mjs")
})

describe("File fields, through Dagger's client", () => {
  it("contents", () => {
    expect(out.contents).toBe(text)
  })

  it("contents(offsetLines, limitLines): lines after offsetLines, at most limitLines, each with its newline", () => {
    expect(out.contentsLines).toEqual({
      offset1limit2: "l2\nl3\n",
      offset2: "l3\nl4\n",
      limit1: "l1\n",
      offset0: "l1\nl2\nl3\nl4\n",
      pastEnd: "",
      limitPastEnd: "l4\n",
      noFinalNewline: "b"
    })
  })

  it("name and size", () => {
    expect(out.nameAndSize).toEqual({ name: "hello.txt", size: 24 })
  })

  it("stat", () => {
    expect(out.stat).toEqual({ name: "hello.txt", size: 24, permissions: 0o644, fileType: "REGULAR" })
  })

  it("digest(excludeMetadata: true): the sha256 of the contents, whatever the mode", () => {
    expect(out.digest.contentOnly).toBe(out.digest.expected)
    expect(out.digest.otherModeContentOnly).toBe(out.digest.expected)
  })

  it("digest: a sha256 that changes with the mode and the contents", () => {
    expect(out.digest.withMetadata).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(new Set([out.digest.withMetadata, out.digest.otherModeWithMetadata, out.digest.otherContents]).size).toBe(3)
  })

  it("withName renames (a name with / is an error)", () => {
    expect(out.withName).toEqual({ name: "renamed.txt", contents: text, inDir: ["renamed.txt"] })
    expect(out.withNameDir.error).toContain("must not contain a directory")
  })

  it("withTimestamps sets the mtime", () => {
    expect(out.withTimestamps).toBe("1672531199\n")
  })

  it("withReplaced: one match", () => {
    expect(out.replaceOne).toBe("hello there\nhello again\n")
  })

  it("withReplaced: several matches without all is an error naming them", () => {
    expect(out.replaceMultiple.error).toContain("search string found multiple times: line 1 (0-5), line 2 (0-5)")
  })

  it("withReplaced: all, firstFrom", () => {
    expect(out.replaceAll).toBe("bye world\nbye again\n")
    expect(out.replaceFirstFrom).toBe("hello world\nbye again\n")
  })

  it("withReplaced: no match is an error, except with all", () => {
    expect(out.replaceNotFound.error).toContain("search string not found")
    expect(out.replaceAllNotFound).toBe(text)
  })

  it("withReplaced keeps the mode", () => {
    expect(out.replaceKeepsMode).toBe(0o755)
  })

  it("a file from a container: contents, name, size", () => {
    expect(out.fromContainer).toEqual({ contents: "x\ny\n", name: "out.txt", size: 4 })
  })
})

describe("File.export, through Dagger's client", () => {
  it("writes the file with its mode, parents created; returns the absolute path", () => {
    expect(out.export).toEqual({ returned: true, contents: "#!/bin/sh\n", mode: 0o750 })
  })

  it("a relative path is relative to the client's working directory", () => {
    expect(out.exportRelative).toEqual({ returned: true, contents: text })
  })

  it("an existing file is overwritten", () => {
    expect(out.exportOverwrites).toBe(text)
  })

  it("an existing symlink is replaced, not written through", () => {
    expect(out.exportReplacesSymlink).toEqual({ isLink: false, contents: text, target: "target" })
  })

  it("an existing directory at the path is an error", () => {
    expect(out.exportOntoDirectory.error).toMatch(/a-dir.*(is a directory)/)
  })

  it("allowParentDirPath: into an existing directory, under the file's name", () => {
    expect(out.exportIntoDirectory.contents).toBe(text)
  })

  it("a file on the way is an error saying that a parent is not a directory", () => {
    expect(out.exportUnderFile.error).toMatch(/plain(\/below\.txt: a parent|: not a directory)/)
  })
})

describe("File identity, through Dagger's client", () => {
  it("id and loadFileFromID", () => {
    expect(out.byId).toBe(text)
  })

  it("sync returns the file", () => {
    expect(out.sync).toBe(text)
  })
})
