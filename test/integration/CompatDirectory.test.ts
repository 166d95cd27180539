/**
 * Directory through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/directory.mjs
 * prints what each step returned, and each `it` checks one field or behaviour against Dagger's value.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"

let out: Steps

beforeAll(async () => {
  out = await runCompat("directory.mjs")
})

const tree = ["a.txt", "empty/", "sub/", "sub/b.md", "sub/deep/", "sub/deep/c.md"]

describe("Directory contents, through Dagger's client", () => {
  it("entries: names, sorted, directories with a trailing /; of a path; empty; a missing path is an error", () => {
    expect(out.entries).toEqual({
      root: ["a.txt", "empty/", "sub/"],
      sub: ["b.md", "deep/"],
      empty: [],
      missing: { error: expect.stringContaining("nope") }
    })
  })

  it("file and directory", () => {
    expect(out.fileAndDirectory).toEqual({
      file: "B",
      directory: ["b.md", "deep/"],
      nested: "C",
      missingFile: { error: expect.stringContaining("nope.txt") }
    })
  })

  it("glob: doublestar patterns, alternatives", () => {
    expect(out.globMd).toEqual(["sub/b.md", "sub/deep/c.md"])
    expect(out.globTop).toEqual(["a.txt"])
    expect(out.globAll).toEqual(["a.txt", "empty", "sub", "sub/b.md", "sub/deep", "sub/deep/c.md"])
    expect(out.globAlt).toEqual(["a.txt", "sub/b.md"])
  })

  it("glob: an invalid pattern is an error", () => {
    expect(out.globInvalid.error).toMatch(/invalid glob pattern "sub\/\[b\.md"/)
  })

  it("exists, with expectedType", () => {
    expect(out.exists).toEqual([true, false, true, false, true])
  })

  it("stat of a file and a directory; a missing path is an error", () => {
    expect(out.stat).toEqual({ name: "b.md", size: 1, permissions: 0o644, fileType: "REGULAR" })
    expect(out.statDir).toBe("DIRECTORY")
    expect(out.statMissing.error).toContain("stat nope: no such file or directory")
  })

  it("name: the basename with a trailing /, / for a root", () => {
    expect(out.name).toEqual(["/", "deep/", "etc/"])
  })
})

describe("Directory changes, through Dagger's client", () => {
  it("withNewFile and withNewDirectory: parents created, permissions, default file mode 0644", () => {
    expect(out.withNewFileAndDirectory).toEqual({ glob: ["p", "p/q", "x", "x/y.sh"], fileMode: 0o750, dirMode: 0o700, defaultMode: 0o644 })
  })

  it("withFile: contents, permissions; a path ending in / puts the file in it under its name", () => {
    expect(out.withFile).toEqual({ contents: "A", mode: 0o600, into: ["d", "d/b.md"] })
  })

  it("withFiles: each file under its name, with permissions", () => {
    expect(out.withFiles).toEqual({ entries: ["a.txt", "b.md"], permissions: 0o600 })
  })

  it("withDirectory: merged at a path, with include and exclude", () => {
    expect(out.withDirectory).toEqual({
      all: ["keep.txt", "x", "x/a.txt", "x/empty", "x/sub", "x/sub/b.md", "x/sub/deep", "x/sub/deep/c.md"],
      include: ["x", "x/sub", "x/sub/b.md", "x/sub/deep", "x/sub/deep/c.md"],
      exclude: ["a.txt", "sub", "sub/b.md"]
    })
  })

  it("withoutDirectory removes the directory and what it holds; a missing path is no error", () => {
    expect(out.withoutDirectory).toEqual({ glob: ["a.txt", "empty"], nested: ["b.md"], missing: ["a.txt", "empty/", "sub/"] })
  })

  it("withoutFile removes the file only; a missing path is no error", () => {
    expect(out.withoutFile).toEqual({
      glob: ["a.txt", "empty", "sub", "sub/deep", "sub/deep/c.md"],
      entries: ["deep/"],
      missing: ["a.txt", "empty/", "sub/"]
    })
  })

  it("withoutFiles removes each; a missing path is no error", () => {
    expect(out.withoutFiles).toEqual(["empty", "sub", "sub/deep", "sub/deep/c.md"])
  })

  it("withSymlink: read through, stat and exists without following", () => {
    expect(out.symlink).toEqual({ contents: "A", type: "SYMLINK", followed: "REGULAR", exists: true })
  })

  it("diff: what is new or changed, with parents", () => {
    expect(out.diff).toEqual(["new.txt", "sub", "sub/deep", "sub/deep/c.md"])
  })

  it("filter with include and exclude", () => {
    expect(out.filter).toEqual({ include: ["sub", "sub/b.md", "sub/deep", "sub/deep/c.md"], exclude: ["a.txt", "empty"] })
  })

  it("gitignore on filter, withDirectory and Container.withDirectory", () => {
    expect(out.filterGitignore).toEqual([
      ".gitignore", "a.txt", "build", "build/keep.txt", "empty", "keep.md", "sub", "sub/.gitignore", "sub/b.md", "sub/deep"
    ])
    expect(out.withDirectoryGitignore).toEqual(["x", ...out.filterGitignore.map((p: string) => `x/${p}`)])
    expect(out.containerWithDirectoryGitignore).toEqual([
      "/g/.gitignore", "/g/a.txt", "/g/build/keep.txt", "/g/keep.md", "/g/sub/.gitignore", "/g/sub/b.md"
    ])
  })

  it("withTimestamps sets every entry's mtime", () => {
    expect(out.timestamps).toBe("1672531199\n1672531199\n1672531199\n")
  })
})

describe("Directory.digest, through Dagger's client", () => {
  it("a sha256; equal content (in any order of writes) gives an equal digest", () => {
    expect(out.digest.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(out.digest.sameContent).toBe(out.digest.digest)
    expect(out.digest.oneAgain).toBe(out.digest.one)
  })

  it("changes when a name, a byte, a place or an entry changes", () => {
    const d = out.digest
    expect(new Set([d.one, d.renamed, d.otherByte, d.moved, d.extraEmptyDir]).size).toBe(5)
  })

  it("changes when a mode changes, and execs see each mode", () => {
    expect(out.digest.mode644).not.toBe(out.digest.mode755)
    expect(out.digest.execModes).toEqual(["644\n", "755\n"])
  })
})

describe("Directory.export, through Dagger's client", () => {
  it("returns the absolute path, writes the tree; a relative path is relative to the client's working directory", () => {
    expect(out.export).toEqual({ returned: true, files: tree, relative: true })
  })

  it("without wipe: files already at the destination are kept, the directory's overwrite theirs", () => {
    expect(out.exportMerge).toEqual({ files: [...tree, "extra.txt", "old/", "old/x.txt"].sort(), a: "A" })
  })

  it("wipe: true: files at the destination that the directory lacks are removed", () => {
    expect(out.exportWipe).toEqual({ files: tree, a: "A" })
  })

  it("binary contents round-trip through host, directory, container and export", () => {
    expect(out.binary).toEqual({ size: 256, containerSize: 256, dirExportEqual: true, fileExportEqual: true })
  })

  it("errors: an existing file at the path, a file on the way, a place that cannot be written", () => {
    expect(out.exportOntoFile.error).toMatch(/cannot export to .*plain: it exists and is not a directory/)
    expect(out.exportUnderFile.error).toMatch(/cannot export to .*plain\/below: a parent is not a directory/)
    expect(out.exportReadOnly.error).toMatch(/cannot export to \/sys\/dirk-export: operation not permitted/)
  })

  it("symlinks are written as symlinks, nothing lands outside the path", () => {
    expect(out.exportEscape.outsideWritten).toBe(false)
    expect(out.exportEscape.aboveWritten).toBe(false)
    expect(out.exportEscape.link).toMatch(/\/outside$/)
    expect(out.exportEscape.entries).toContain("pwn2.txt")
    expect(out.exportEscape.entries).toContain("pwn3.txt")
  })
})

describe("Directory identity, through Dagger's client", () => {
  it("id and loadDirectoryFromID", () => {
    expect(out.byId).toEqual(["a.txt", "empty", "sub", "sub/b.md", "sub/deep", "sub/deep/c.md"])
  })

  it("sync returns the directory", () => {
    expect(out.sync).toEqual(["a.txt", "empty/", "sub/"])
  })
})
