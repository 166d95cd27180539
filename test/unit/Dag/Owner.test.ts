import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as FileActions from "../../../src/Dag/internal/FileActions.js"
import * as Op from "../../../src/Dag/Op.js"
import * as Owner from "../../../src/Dag/Owner.js"

const passwd = [
  "root:x:0:0:root:/root:/bin/sh",
  "# a comment",
  "broken line",
  "app:x:1234:2345::/home/app:/bin/sh",
  "app:x:9999:9999::/dup:/bin/sh",
  "weird:x:notanumber:1::/:/bin/sh",
  ""
].join("\n")
const group = "root:x:0:\nstaff2:x:2345:app\nother:x:3456:\r\n"
const files = { passwd, group }

const resolve = (owner: string) =>
  Either.flatMap(Owner.parse(owner), (spec) => Owner.resolve(owner, spec, files))

const id = fc.integer({ min: 0, max: 0xfffffffe })

describe("Owner", () => {
  it("parses user[:group] with names and numbers", () => {
    assert.deepStrictEqual(Owner.parse("1000"), Either.right({ user: { _tag: "Id", id: 1000 } }))
    assert.deepStrictEqual(
      Owner.parse("app:0"),
      Either.right({ user: { _tag: "Name", name: "app" }, group: { _tag: "Id", id: 0 } })
    )
    assert.isTrue(Owner.hasNames(Either.getOrThrow(Owner.parse("0:staff"))))
    assert.isFalse(Owner.hasNames(Either.getOrThrow(Owner.parse("0:1"))))
  })

  it("rejects malformed owners with a message naming them", () => {
    for (
      const [owner, text] of [
        ["a:b:c", "expected user[:group]"],
        [":1", "the user is empty"],
        ["1:", "the group is empty"],
        ["4294967296", "out of range"],
        ["a b", "invalid user name"]
      ] as const
    ) {
      const r = Owner.parse(owner)
      assert.isTrue(Either.isLeft(r), owner)
      const msg = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : ""))
      assert.include(msg, JSON.stringify(owner))
      assert.include(msg, text)
    }
  })

  it("resolves names in /etc/passwd and /etc/group (first match wins, primary group by default)", () => {
    assert.deepStrictEqual(resolve("app"), Either.right({ uid: 1234, gid: 2345 }))
    assert.deepStrictEqual(resolve("app:other"), Either.right({ uid: 1234, gid: 3456 }))
    assert.deepStrictEqual(resolve("app:7"), Either.right({ uid: 1234, gid: 7 }))
    assert.deepStrictEqual(resolve("1000"), Either.right({ uid: 1000, gid: 1000 }))
    assert.deepStrictEqual(resolve("1000:staff2"), Either.right({ uid: 1000, gid: 2345 }))
    assert.deepStrictEqual(resolve("nobodyx"), Either.left("owner \"nobodyx\": no such user \"nobodyx\" in /etc/passwd"))
    assert.deepStrictEqual(resolve("app:nogroupx"), Either.left("owner \"app:nogroupx\": no such group \"nogroupx\" in /etc/group"))
    assert.deepStrictEqual(resolve("weird"), Either.left("owner \"weird\": no such user \"weird\" in /etc/passwd"))
    assert.deepStrictEqual(Owner.parsePasswd(passwd).map((e) => e.name), ["root", "app", "app"])
    assert.deepStrictEqual(Owner.parseGroup(group), [{ name: "root", gid: 0 }, { name: "staff2", gid: 2345 }, { name: "other", gid: 3456 }])
  })

  it("Directory owners take numbers only; a name is an error saying so", () => {
    assert.deepStrictEqual(Owner.numeric("1000:20"), Either.right({ uid: 1000, gid: 20 }))
    assert.deepStrictEqual(Owner.numeric("7"), Either.right({ uid: 7, gid: 7 }))
    const r = Owner.numeric("1000:staff")
    assert.isTrue(Either.isLeft(r))
    assert.include(Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : "")), "\"staff\" is a name")
  })

  it.prop("numeric owners round-trip through parse, resolve and format", [id, fc.option(id, { nil: undefined })], ([uid, gid]) => {
    const owner = gid === undefined ? `${uid}` : `${uid}:${gid}`
    const ids = { uid, gid: gid ?? uid }
    assert.deepStrictEqual(Owner.numeric(owner), Either.right(ids))
    assert.deepStrictEqual(resolve(owner), Either.right(ids))
    assert.deepStrictEqual(Owner.numeric(Owner.format(ids)), Either.right(ids))
  })

  it.prop("parse never throws: a spec or a message naming the owner", [fc.string({ maxLength: 20 })], ([s]) => {
    const r = Owner.parse(s)
    if (Either.isLeft(r)) assert.include(r.left, JSON.stringify(s))
    else assert.strictEqual(Either.isLeft(resolve(s)) || Either.isRight(resolve(s)), true)
  })

  it.prop("a name found in passwd resolves to its line's ids", [fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), id, id], ([name, uid, gid]) => {
    const r = Owner.resolve(name, Either.getOrThrow(Owner.parse(name)), { passwd: `${name}:x:${uid}:${gid}::/:/bin/sh\n`, group: "" })
    assert.deepStrictEqual(r, Either.right({ uid, gid }))
  })
})

describe("FileActions with an owner", () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-owner-"))
  const ids = { uid: 1234, gid: 2345 }
  const stat = (p: string) => {
    const st = fs.lstatSync(p)
    return `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`
  }

  it.effect("Mkfile owns the file and the parents it creates, not existing ones; setuid survives", () =>
    Effect.gen(function*() {
      const root = tmp()
      fs.mkdirSync(path.join(root, "keep"), { mode: 0o700 })
      fs.chmodSync(path.join(root, "keep"), 0o700)
      yield* FileActions.apply(root, { _tag: "Mkfile", path: "keep/new/f", contents: "x", mode: 0o4755 }, undefined, ids)
      assert.strictEqual(stat(path.join(root, "keep")), "0:0 700")
      assert.strictEqual(stat(path.join(root, "keep/new")), "1234:2345 755")
      assert.strictEqual(stat(path.join(root, "keep/new/f")), "1234:2345 4755")
    }))

  it.effect("Copy of a directory owns every copied entry and a created destination; Chown owns a tree", () =>
    Effect.gen(function*() {
      const src = tmp()
      fs.mkdirSync(path.join(src, "sub"))
      fs.writeFileSync(path.join(src, "sub/a"), "a")
      fs.symlinkSync("sub/a", path.join(src, "link"))
      const root = tmp()
      const copy: Op.FileAction = { _tag: "Copy", source: Op.emptyDir, sourcePath: "", dest: "d", include: [], exclude: [], mode: 0o640 }
      yield* FileActions.apply(root, copy, src, ids)
      assert.strictEqual(stat(path.join(root, "d")), "1234:2345 755")
      assert.strictEqual(stat(path.join(root, "d/sub")), "1234:2345 640")
      assert.strictEqual(stat(path.join(root, "d/sub/a")), "1234:2345 640")
      assert.strictEqual(fs.lstatSync(path.join(root, "d/link")).uid, 1234)
      yield* FileActions.apply(root, { _tag: "Chown", path: "", owner: { spec: "7:8" } }, undefined, { uid: 7, gid: 8 })
      assert.strictEqual(stat(root).split(" ")[0], "7:8")
      assert.strictEqual(stat(path.join(root, "d/sub/a")), "7:8 640")
    }))

  it.effect("tar items carry the owner; only the directories the image lacks are listed", () =>
    Effect.gen(function*() {
      const action: Op.FileAction = { _tag: "Mkfile", path: "/a/b/f", contents: "x", mode: 0o600 }
      assert.deepStrictEqual(FileActions.ownedDirs(action), ["a", "a/b"])
      const items = yield* FileActions.tarItems(action, undefined, { owner: ids, newDirs: ["a/b"] })
      assert.deepStrictEqual(items.map((i) => [i.type, i.name, i.uid, i.gid]), [["dir", "a/b", 1234, 2345], ["file", "a/b/f", 1234, 2345]])
      const copy: Op.FileAction = { _tag: "Copy", source: Op.emptyDir, sourcePath: "", dest: "/x/y", include: [], exclude: [] }
      assert.deepStrictEqual(FileActions.ownedDirs(copy), ["x", "x/y"])
    }))

  it.effect("a Copy of a file with an owner lists its destination once, as the file", () =>
    Effect.gen(function*() {
      const src = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-owned-copy-"))
      try {
        fs.writeFileSync(path.join(src, "f.txt"), "x")
        const copy: Op.FileAction = { _tag: "Copy", source: Op.emptyDir, sourcePath: "f.txt", dest: "/x/f.txt", include: [], exclude: [] }
        const newDirs = FileActions.ownedDirs(copy)
        assert.deepStrictEqual(newDirs, ["x", "x/f.txt"])
        const items = yield* FileActions.tarItems(copy, src, { owner: ids, newDirs })
        assert.deepStrictEqual(items.map((i) => [i.type, i.name, i.uid]), [["dir", "x", 1234], ["file", "x/f.txt", 1234]])
      } finally {
        fs.rmSync(src, { recursive: true, force: true })
      }
    }))

  it("the op digest covers the owner", () => {
    const mk = (owner?: Op.FileOwner): Op.FileAction => ({ _tag: "Mkfile", path: "f", contents: "x", mode: 0o644, ...(owner ? { owner } : {}) })
    const a = Op.dirFile(Op.emptyDir, [mk()]).digest
    const b = Op.dirFile(Op.emptyDir, [mk({ spec: "1000" })]).digest
    const c = Op.dirFile(Op.emptyDir, [mk({ spec: "app", names: Op.image("x") })]).digest
    const d = Op.dirFile(Op.emptyDir, [mk({ spec: "app", names: Op.image("y") })]).digest
    assert.strictEqual(new Set([a, b, c, d]).size, 4)
  })
})
