/**
 * `http` through Dagger's own npm client (`test/compat/http.mjs` via `dirk run`); the files are served locally.
 */
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"
import { startHttpServer } from "../support/sources.js"

let server: Awaited<ReturnType<typeof startHttpServer>>
let out: Steps
const payload = Buffer.from("downloaded content\n")
const sha = "sha256:" + createHash("sha256").update(payload).digest("hex")

beforeAll(async () => {
  server = await startHttpServer({ "/files/data.txt": { body: payload } })
  out = await runCompat("http.mjs", [], { DIRK_TEST_HTTP: server.url(""), DIRK_TEST_HTTP_SHA: sha })
})

afterAll(async () => {
  await server?.close()
})

describe("http, through Dagger's client", () => {
  it("contents and size", () => {
    expect(out.contents).toBe(payload.toString())
    expect(out.size).toBe(payload.length)
  })

  it("name: the URL's last segment by default, or the one given", () => {
    expect(out.name).toBe("data.txt")
    expect(out.named).toBe("x.sh")
  })

  it("permissions", () => {
    expect(out.mode).toBe("755\n")
  })

  it("checksum: a match gives the file, a mismatch is an error with both digests", () => {
    expect(out.checksum).toBe(payload.toString())
    expect(out.mismatch.error).toContain(`checksum mismatch: expected sha256:${"0".repeat(64)}, got ${sha}`)
  })

  it("a non-2xx status is an error naming it and the URL", () => {
    expect(out.notFound.error).toContain(`http GET ${server.url("/missing")}: 404 Not Found`)
  })

  it("id and loadFileFromID", () => {
    expect(out.byId).toBe(payload.toString())
  })
})
