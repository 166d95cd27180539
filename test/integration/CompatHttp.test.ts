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
const bearer = "Bearer http-s3cret-4c1d"
const wrong = "Bearer wrong-9e7f2a"

beforeAll(async () => {
  server = await startHttpServer({
    "/files/data.txt": { body: payload },
    "/private/data.txt": { body: "private content\n", authorization: bearer }
  })
  out = await runCompat("http.mjs", [], {
    DIRK_TEST_HTTP: server.url(""),
    DIRK_TEST_HTTP_SHA: sha,
    DIRK_TEST_HTTP_BEARER: bearer,
    DIRK_TEST_HTTP_WRONG: wrong
  })
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

  it("authHeader: the secret is the Authorization header; without it or with a wrong one, the status", () => {
    expect(out.authContents).toBe("private content\n")
    expect(out.authMissing.error).toContain(`http GET ${server.url("/private/data.txt")}: 401 Unauthorized`)
    expect(out.authWrong.error).toContain("401 Unauthorized")
  })

  it("authHeader: the secret's value is in no ID and no error", () => {
    const ids = Buffer.from(String(out.authId), "base64").toString("utf8") + String(out.authId)
    expect(ids).not.toContain("http-s3cret")
    expect(JSON.stringify(out)).not.toContain("http-s3cret")
    expect(JSON.stringify(out)).not.toContain("wrong-9e7f2a")
  })
})
