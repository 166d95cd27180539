import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Gitignore from "../../../src/Dag/Gitignore.js"
import * as Walk from "../../../src/Dag/internal/Walk.js"
import * as PathFilter from "../../../src/Dag/PathFilter.js"

/** A matcher for one root .gitignore. */
const rootMatcher = (lines: ReadonlyArray<string>, rule: Gitignore.Rule = "dagger") =>
  Gitignore.addFile(Gitignore.make({ rule }), "", lines.join("\n"))

const ignored = (lines: ReadonlyArray<string>, p: string, isDir = false, rule: Gitignore.Rule = "dagger") =>
  Gitignore.isIgnored(rootMatcher(lines, rule), p, isDir)

/** Writes a tree (`path → contents`, a trailing "/" for an empty directory) into a fresh temp dir. */
const writeTree = (files: Readonly<Record<string, string>>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-gitignore-"))
  for (const [rel, contents] of Object.entries(files)) {
    const abs = path.join(root, rel)
    if (rel.endsWith("/")) fs.mkdirSync(abs, { recursive: true })
    else {
      fs.mkdirSync(path.dirname(abs), { recursive: true })
      fs.writeFileSync(abs, contents)
    }
  }
  return root
}

/** What the walker keeps (files, dirs and symlinks), with the gitignore rules of `rule`. */
const kept = (root: string, rule: Gitignore.Rule = "dagger", filter: PathFilter.PathFilter = PathFilter.all) => {
  const out: Array<string> = []
  const it = Walk.iterate(root, filter, Gitignore.make({ rule }))
  for (let n = it.next(); n.done !== true; n = it.next()) out.push(n.value.rel + (n.value.type === "dir" ? "/" : ""))
  return out
}

const withTree = <A>(files: Readonly<Record<string, string>>, f: (root: string) => A): A => {
  const root = writeTree(files)
  try {
    return f(root)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

describe("Gitignore patterns", () => {
  it("skips blank lines and comments; escapes # and !; trims unescaped trailing spaces", () => {
    assert.deepStrictEqual(Gitignore.parse("# comment\n\n   \n"), [])
    assert.isTrue(ignored(["\\#c"], "#c"))
    assert.isFalse(ignored(["# c"], "# c"))
    assert.isTrue(ignored(["\\!d"], "!d"))
    assert.isTrue(ignored(["x.txt   "], "x.txt"))
    assert.isFalse(ignored(["x.txt\\ "], "x.txt"))
    assert.isTrue(ignored(["x.txt\\ "], "x.txt "))
    assert.isTrue(ignored(["x.txt\r"], "x.txt"))
    assert.isTrue(ignored([" lead"], " lead"), "leading spaces are part of the pattern, as in git")
    assert.isFalse(ignored([" lead"], "lead"))
  })

  it("matches names at any depth, anchored patterns from the .gitignore's directory", () => {
    assert.isTrue(ignored(["*.log"], "a/b/x.log"))
    assert.isTrue(ignored(["/x.log"], "x.log"))
    assert.isFalse(ignored(["/x.log"], "a/x.log"))
    assert.isTrue(ignored(["a/x.log"], "a/x.log"))
    assert.isFalse(ignored(["a/x.log"], "b/a/x.log"), "a slash in the middle anchors")
    assert.isTrue(ignored(["a/*.log"], "a/x.log"))
    assert.isFalse(ignored(["a/*.log"], "a/b/x.log"), "* does not cross /")
    assert.isTrue(ignored(["**/x.log"], "a/b/x.log"))
    assert.isTrue(ignored(["**/x.log"], "x.log"))
    assert.isTrue(ignored(["a/**/x.log"], "a/x.log"))
    assert.isTrue(ignored(["a/**/x.log"], "a/b/c/x.log"))
    assert.isTrue(ignored(["a/**"], "a/b/c", false, "git"))
    assert.isFalse(ignored(["a/**"], "a", true, "git"), "a/** matches inside a, not a")
    assert.isTrue(ignored(["a**b"], "axxb"))
    assert.isTrue(ignored(["?.txt"], "x.txt"))
    assert.isFalse(ignored(["?.txt"], "xy.txt"))
    assert.isTrue(ignored(["[ab].txt"], "b.txt"))
    assert.isFalse(ignored(["[!ab].txt"], "b.txt"))
    assert.isTrue(ignored(["[^ab].txt"], "c.txt"))
    assert.isTrue(ignored(["[a-c]x"], "bx"))
    assert.isTrue(ignored(["[]]x"], "]x"))
    assert.isTrue(ignored(["[[:digit:]]x"], "7x"))
    assert.isFalse(ignored(["[ab"], "[ab"), "an unclosed [ never matches")
    assert.isTrue(ignored(["\\*"], "*"))
    assert.isFalse(ignored(["\\*"], "a"))
  })

  it("a trailing / matches directories only", () => {
    assert.isTrue(ignored(["build/"], "build", true))
    assert.isFalse(ignored(["build/"], "build", false))
    assert.isTrue(ignored(["build/"], "build/x.txt", false))
    assert.isTrue(ignored(["build/"], "a/build/x.txt", false))
  })

  it("dagger rule: a negation re-includes below an excluded directory; git rule: it cannot", () => {
    const lines = ["*.log", "!important.log", "temp/", "!temp/keep.txt"]
    assert.isTrue(ignored(lines, "regular.log"))
    assert.isFalse(ignored(lines, "important.log"))
    assert.isTrue(ignored(lines, "temp", true))
    assert.isTrue(ignored(lines, "temp/delete.txt"))
    assert.isFalse(ignored(lines, "temp/keep.txt"))
    assert.isTrue(ignored(lines, "temp/keep.txt", false, "git"))
    const m = rootMatcher(lines)
    assert.strictEqual(Gitignore.decide(m, "temp", true), "descend")
    assert.strictEqual(Gitignore.decide(rootMatcher(["temp/"]), "temp", true), "skip")
    assert.strictEqual(Gitignore.decide(rootMatcher(lines, "git"), "temp", true), "skip")
  })
})

describe("Gitignore in a walk", () => {
  it("nested .gitignore files apply below their directory and override shallower ones", () =>
    withTree({
      ".gitignore": "*.tmp\nignore/\n/root-only.txt\n",
      "root-only.txt": "",
      "test.tmp": "",
      "ignore/x": "",
      "level1/.gitignore": "*.log\n!important.log\n",
      "level1/test.log": "",
      "level1/important.log": "",
      "level1/root-only.txt": "",
      "level1/level2/.gitignore": "*.txt\n!keep.txt\n",
      "level1/level2/file.txt": "",
      "level1/level2/keep.txt": "",
      "level1/level2/test.tmp": "",
      "level1/level2/other.log": "",
      "other.log": ""
    }, (root) => {
      assert.deepStrictEqual(kept(root), [
        ".gitignore",
        "level1/",
        "level1/.gitignore",
        "level1/important.log",
        "level1/level2/",
        "level1/level2/.gitignore",
        "level1/level2/keep.txt",
        "level1/root-only.txt",
        "other.log"
      ])
    }))

  it("dagger rule: a re-included file keeps its excluded parent; nothing else of it is walked in", () =>
    withTree({
      ".gitignore": "temp/\n!temp/keep.txt\nnode_modules/\n",
      "temp/keep.txt": "",
      "temp/delete.txt": "",
      "temp/empty/": "",
      "node_modules/x/.gitignore": "!*\n",
      "node_modules/x/y": ""
    }, (root) => {
      assert.deepStrictEqual(kept(root), [".gitignore", "temp/", "temp/keep.txt"])
      assert.deepStrictEqual(kept(root, "git"), [".gitignore"])
    }))

  it("combines with include/exclude: a path is kept when both keep it; .gitignore files apply even when excluded", () =>
    withTree({
      ".gitignore": "*.log\n",
      "a.log": "",
      "a.txt": "",
      "sub/b.txt": "",
      "sub/b.log": ""
    }, (root) => {
      assert.deepStrictEqual(kept(root, "dagger", PathFilter.make({ exclude: [".gitignore"] })), ["a.txt", "sub/", "sub/b.txt"])
      assert.deepStrictEqual(kept(root, "dagger", PathFilter.make({ include: ["sub"] })), ["sub/", "sub/b.txt"])
    }))

  it("a prefix puts the walk's root below the directory the patterns come from", () => {
    const m = Gitignore.addFile(Gitignore.make({ prefix: "pkg" }), "", "pkg/dist/\n*.log\n", true)
    assert.isTrue(Gitignore.isIgnored(m, "dist", true))
    assert.isTrue(Gitignore.isIgnored(m, "src/x.log", false))
    assert.isFalse(Gitignore.isIgnored(m, "src/x.ts", false))
    const excludedRoot = Gitignore.addFile(Gitignore.make({ prefix: "pkg" }), "", "pkg/\n", true)
    assert.isTrue(Gitignore.isIgnored(excludedRoot, "src/x.ts", false))
  })
})

// -----------------------------------------------------------------------------------------------------------------
// properties

const name = fc.constantFrom("a", "b", "x.txt", "y.log", "#c", "!d")
const relPath = fc.array(name, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"))
const segment = fc.constantFrom("a", "b", "*", "?", "*.txt", "x.*", "**", "[ab]", "[!a]*", "\\#c", "\\!d", "y.log")
const positive = fc.tuple(
  fc.boolean(),
  fc.array(segment, { minLength: 1, maxLength: 3 }),
  fc.boolean()
).map(([lead, segs, trail]) => (lead ? "/" : "") + segs.join("/") + (trail ? "/" : ""))
const line = fc.oneof(
  { weight: 6, arbitrary: positive },
  { weight: 3, arbitrary: positive.map((p) => "!" + p) },
  { weight: 1, arbitrary: fc.constantFrom("# comment", "", "x.txt   ", "*.log") }
)
const lines = fc.array(line, { maxLength: 5 })

/** A tree: file paths (none is a parent of another) and .gitignore texts at the root and in up to two directories. */
const tree = fc.record({
  paths: fc.uniqueArray(relPath, { minLength: 1, maxLength: 8 }),
  root: lines,
  nested: fc.array(fc.tuple(fc.nat(), lines), { maxLength: 2 })
}).map(({ nested, paths, root }) => {
  const files = paths.filter((p) => !paths.some((q) => q.startsWith(p + "/")))
  const dirs = [...new Set(files.flatMap((f) => f.split("/").slice(0, -1).map((_, i, s) => s.slice(0, i + 1).join("/"))))]
  const out: Record<string, string> = { ".gitignore": root.join("\n") + "\n" }
  for (const f of files) out[f] = "x"
  for (const [i, ls] of nested) if (dirs.length > 0) out[dirs[i % dirs.length]! + "/.gitignore"] = ls.join("\n") + "\n"
  return out
})

const gitEnv = (home: string) => ({
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: home,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null"
})

/** The untracked files git does not ignore, by git itself. */
const gitKept = (root: string): Array<string> => {
  const env = gitEnv(root)
  execFileSync("git", ["init", "-q"], { cwd: root, env })
  fs.writeFileSync(path.join(root, ".git", "info", "exclude"), "")
  const out = execFileSync("git", ["ls-files", "--others", "--exclude-standard", "-z"], { cwd: root, env })
  return out.toString("utf8").split("\0").filter((s) => s !== "").sort()
}

const files = (entries: ReadonlyArray<string>) =>
  entries.filter((e) => !e.endsWith("/") && e !== ".git" && !e.startsWith(".git/")).sort()

describe("Gitignore properties", () => {
  it.prop(
    "git rule: the files kept are the ones git leaves untracked and not ignored; dagger rule too without negations",
    [tree],
    ([t]) => {
      const root = writeTree(t)
      try {
        const byGit = gitKept(root)
        assert.deepStrictEqual(files(kept(root, "git")), byGit, JSON.stringify(t))
        const negations = Object.entries(t).some(([p, text]) =>
          p.endsWith(".gitignore") && text.split("\n").some((l) => l.startsWith("!"))
        )
        if (!negations) assert.deepStrictEqual(files(kept(root, "dagger")), byGit, JSON.stringify(t))
      } finally {
        fs.rmSync(root, { recursive: true, force: true })
      }
    },
    { fastCheck: { numRuns: 60 } }
  )

  it.prop(
    "a negation appended re-includes what its pattern matches and changes nothing else (dagger rule)",
    [lines, positive, relPath, fc.boolean()],
    ([ls, q, p, isDir]) => {
      const expected = ignored([q], p, isDir) ? false : ignored(ls, p, isDir)
      assert.strictEqual(ignored([...ls, "!" + q], p, isDir), expected)
    }
  )

  it.prop(
    "a negation appended re-includes at the top level (git rule)",
    [lines, positive, name, fc.boolean()],
    ([ls, q, n, isDir]) => {
      const expected = ignored([q], n, isDir, "git") ? false : ignored(ls, n, isDir, "git")
      assert.strictEqual(ignored([...ls, "!" + q], n, isDir, "git"), expected)
    }
  )

  it.prop("comments, blank lines and trailing spaces change nothing", [lines, relPath, fc.boolean()], ([ls, p, isDir]) => {
    const noisy = ls.flatMap((l) => ["# " + l, "", l === "" ? l : l + "  "])
    assert.strictEqual(ignored(noisy, p, isDir), ignored(ls, p, isDir))
  })

  it.prop(
    "without negations both rules agree",
    [fc.array(positive, { maxLength: 5 }), relPath, fc.boolean()],
    ([ls, p, isDir]) => {
      assert.strictEqual(ignored(ls, p, isDir, "dagger"), ignored(ls, p, isDir, "git"))
    }
  )

  it.prop(
    "a skipped directory has no kept descendant (pruning is sound)",
    [lines, relPath, relPath, fc.boolean()],
    ([ls, dir, rest, isDir]) => {
      const m = rootMatcher(ls)
      if (Gitignore.decide(m, dir, true) !== "skip") return
      assert.isTrue(Gitignore.isIgnored(m, `${dir}/${rest}`, isDir))
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it.prop(
    "a deeper .gitignore overrides a shallower one",
    [positive, name, name],
    ([q, dir, n]) => {
      const p = `${dir}/${n}`
      const base = Gitignore.addFile(Gitignore.make(), "", q)
      const over = Gitignore.addFile(base, dir, "!" + n)
      assert.isFalse(Gitignore.isIgnored(over, p, false))
    }
  )
})
