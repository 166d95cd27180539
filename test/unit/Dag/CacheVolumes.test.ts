import { assert, describe, it } from "@effect/vitest"
import * as TarStream from "tar-stream"
import * as CacheVolumes from "../../../src/Dag/internal/CacheVolumes.js"
import * as Op from "../../../src/Dag/Op.js"

const cache = (over: Partial<Op.ExecCache> = {}): Op.ExecCache => ({ target: "/c", key: "k", sharing: "SHARED", owner: "", ...over })

const entries = (tar: NodeJS.ReadableStream) =>
  new Promise<Array<{ name: string; uid: number; gid: number; type: string }>>((resolve, reject) => {
    const out: Array<{ name: string; uid: number; gid: number; type: string }> = []
    const ex = TarStream.extract()
    ex.on("entry", (h, stream, next) => {
      out.push({ name: h.name, uid: h.uid ?? 0, gid: h.gid ?? 0, type: h.type ?? "" })
      stream.resume()
      stream.on("end", next)
    })
    ex.on("finish", () => resolve(out))
    ex.on("error", reject)
    tar.pipe(ex)
  })

describe("CacheVolumes", () => {
  it("names a volume by key, source and owner; PRIVATE volumes are numbered apart", () => {
    const a = CacheVolumes.volumeName(cache(), 0)
    assert.match(a, /^dirk-cache-[0-9a-f]{32}$/)
    assert.strictEqual(CacheVolumes.volumeName(cache({ target: "/other" }), 0), a)
    assert.notStrictEqual(CacheVolumes.volumeName(cache({ key: "k2" }), 0), a)
    assert.notStrictEqual(CacheVolumes.volumeName(cache({ owner: "1000" }), 0), a)
    assert.notStrictEqual(CacheVolumes.volumeName(cache({ source: Op.emptyDir }), 0), a)
    assert.match(CacheVolumes.volumeName(cache({ sharing: "PRIVATE" }), 2), /-private-2$/)
  })

  it("parses owners", () => {
    assert.deepStrictEqual(CacheVolumes.parseOwner(""), { uid: 0, gid: 0 })
    assert.deepStrictEqual(CacheVolumes.parseOwner("1000"), { uid: 1000, gid: 1000 })
    assert.deepStrictEqual(CacheVolumes.parseOwner("1000:20"), { uid: 1000, gid: 20 })
  })

  it("needs no init without source and owner; with an owner the root entry carries it", async () => {
    assert.strictEqual(CacheVolumes.init(cache(), undefined), undefined)
    const init = CacheVolumes.init(cache({ owner: "7:8" }), undefined)
    assert.isDefined(init)
    assert.deepStrictEqual(await entries(init!()), [{ name: "volume/", uid: 7, gid: 8, type: "directory" }])
  })
})
