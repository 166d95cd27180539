/**
 * Module references: local paths versus git sources, and how a git source splits into clone URL, subdirectory and
 * version.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import * as ModuleRef from "../../../src/Modules/ModuleRef.js"

const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/)
const version = fc.oneof(fc.stringMatching(/^v[0-9]{1,2}(\.[0-9]{1,2}){0,2}$/), fc.stringMatching(/^[0-9a-f]{40}$/), fc.constantFrom("main", "feature-x"))
const host = fc.constantFrom("github.com", "gitlab.com", "git.example.org", "127.0.0.1:9418")
const scheme = fc.constantFrom("", "https://", "git://", "ssh://")

describe("ModuleRef", () => {
  it("tells local paths from git sources", () => {
    for (const local of ["../lib", "./lib", "/abs/lib", "lib", "lib/sub", ".", "..", "my.dir"]) {
      assert.deepStrictEqual(ModuleRef.parse(local), { ok: { _tag: "Local", path: local } }, local)
    }
    for (const remote of ["github.com/org/repo", "git://127.0.0.1:9418/mods.git/lib@v1", "git@github.com:org/repo.git", "file:///srv/repo.git"]) {
      assert.isTrue(ModuleRef.isGit(remote), remote)
    }
  })

  it("splits known hosts after two segments and other hosts at .git", () => {
    assert.deepStrictEqual(ModuleRef.parse("github.com/org/repo/sub/dir@v1.2.0"), {
      ok: { _tag: "Git", cloneUrl: "https://github.com/org/repo", repo: "github.com/org/repo/sub/dir", subdir: "sub/dir", version: "v1.2.0" }
    })
    assert.deepStrictEqual(ModuleRef.parse("git://127.0.0.1:9418/mods.git/lib@v1"), {
      ok: { _tag: "Git", cloneUrl: "git://127.0.0.1:9418/mods.git", repo: "git://127.0.0.1:9418/mods.git/lib", subdir: "lib", version: "v1" }
    })
    assert.deepStrictEqual(ModuleRef.parse("git@github.com:org/repo.git/x"), {
      ok: { _tag: "Git", cloneUrl: "git@github.com:org/repo.git", repo: "git@github.com:org/repo.git/x", subdir: "x", version: undefined }
    })
    assert.deepStrictEqual(ModuleRef.parse("file:///srv/git/mods.git/lib"), {
      ok: { _tag: "Git", cloneUrl: "file:///srv/git/mods.git", repo: "file:///srv/git/mods.git/lib", subdir: "lib", version: undefined }
    })
  })

  it("names bad git sources", () => {
    assert.deepStrictEqual(ModuleRef.parse(""), { error: "empty module reference" })
    assert.match((ModuleRef.parse("github.com/org/repo@") as { error: string }).error, /empty version/)
    assert.match((ModuleRef.parse("github.com/org") as { error: string }).error, /needs a host and a repository/)
    assert.match((ModuleRef.parse("github.com/org/repo/../x") as { error: string }).error, /not allowed/)
  })

  it.prop(
    "format(parse(ref)) is ref, and the parts put together give it back",
    [scheme, host, fc.array(segment, { minLength: 1, maxLength: 2 }), fc.array(segment, { maxLength: 3 }), fc.option(version, { nil: undefined })],
    ([sch, h, repoPath, sub, v]) => {
      const repo = `${sch}${h}/${repoPath.join("/")}.git`
      const ref = `${repo}${sub.length > 0 ? "/" + sub.join("/") : ""}${v === undefined ? "" : "@" + v}`
      const parsed = ModuleRef.parse(ref)
      assert.isTrue("ok" in parsed, ref)
      const r = (parsed as { ok: ModuleRef.ModuleRef }).ok
      assert.strictEqual(ModuleRef.format(r), ref)
      if (r._tag !== "Git") return assert.fail(`${ref} parsed as local`)
      assert.strictEqual(r.subdir, sub.join("/"))
      assert.strictEqual(r.version, v)
      assert.strictEqual(r.cloneUrl, sch === "" ? `https://${h}/${repoPath.join("/")}.git` : repo)
    }
  )

  it.prop("relative paths never parse as git sources", [fc.array(segment, { minLength: 1, maxLength: 4 }), fc.constantFrom("./", "../", "/")], ([segs, lead]) => {
    const ref = lead + segs.join("/")
    assert.deepStrictEqual(ModuleRef.parse(ref), { ok: { _tag: "Local", path: ref } })
  })
})
