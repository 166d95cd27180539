/**
 * Host through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/host.mjs reads the
 * client's own files (relative to its working directory, the repository's root) and prints what each step returned.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"

let out: Steps

beforeAll(async () => {
  out = await runCompat("host.mjs")
})

describe("Host.directory, through Dagger's client", () => {
  it("a path relative to the client's working directory", () => {
    expect(out.directoryRelative).toEqual(["a.txt", "sub", "sub/b.txt"])
    expect(out.directoryContents).toBe("beta\n")
  })

  it("an absolute path", () => {
    expect(out.directoryAbsolute).toEqual(["a.txt", "sub/"])
  })

  it("exclude and include", () => {
    expect(out.directoryExclude).toEqual(["a.txt"])
    expect(out.directoryInclude).toEqual(["sub", "sub/b.txt"])
  })

  it("modes and symlinks are kept", () => {
    expect(out.directoryModes).toEqual({ mode: 0o750, link: "SYMLINK" })
  })

  it("the same content from another path has the same digest", () => {
    expect(out.directorySameContent).toBe(true)
  })

  it("noCache: a change on the host is seen by the next call", () => {
    expect(out.directoryNoCache).toEqual(["first", "second"])
  })

  it("gitignore: the .gitignore files up to the work tree's top apply", () => {
    expect(out.gitignore).toEqual({
      sub: ["index.js"],
      without: ["debug.log", "index.js", "node_modules", "node_modules/x", "node_modules/x/y.js"]
    })
  })

  it("a missing directory is an error naming it", () => {
    expect(out.directoryMissing.error).toMatch(/missing/)
  })

  it("mounted into a container", () => {
    expect(out.inContainer).toBe("alpha\nbeta\n")
  })
})

describe("Host.file, through Dagger's client", () => {
  it("a relative path: contents, name, size", () => {
    expect(out.file).toEqual({ contents: "alpha\n", name: "a.txt", size: 6 })
  })

  it("an absolute path", () => {
    expect(out.fileAbsolute).toBe("beta\n")
  })

  it("the mode is kept", () => {
    expect(out.fileMode).toBe(0o755)
  })

  it("a missing file is an error naming it", () => {
    expect(out.fileMissing.error).toMatch(/missing\.txt/)
  })
})
