import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { openSession, query } from "../support/session.js"

let session: SessionInfo
let close: () => Promise<void>

beforeAll(async () => {
  ;({ session, close } = await openSession())
})
afterAll(async () => {
  await close?.()
})

describe("session", () => {
  it("answers 401 without or with a wrong token", async () => {
    const res = await fetch(session.url, { method: "POST", body: JSON.stringify({ query: "{ version }" }) })
    expect(res.status).toBe(401)
    const wrong = await query(session, "{ version }", "nope")
    expect(wrong.status).toBe(401)
  })

  it("serves version and defaultPlatform", async () => {
    const r = await query(session, "{ version }")
    expect(r.data.version).toMatch(/^v0\.21\./)
    const p = await query(session, "{ defaultPlatform }")
    expect(p.data.defaultPlatform).toMatch(/^linux\//)
  })

  it("runs an exec and reads stdout", async () => {
    const r = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "echo hello; echo oops >&2"]) { stdout } } } }`)
    expect(r.errors).toBeUndefined()
    expect(r.data.container.from.withExec.stdout).toBe("hello\n")
  })

  it("reports a failed exec as EXEC_ERROR", async () => {
    const r = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "echo out; echo bad >&2; exit 3"]) { stdout } } } }`)
    expect(r.errors?.[0]?.message).toMatch(/exit code: 3$/)
    expect(r.errors?.[0]?.extensions).toMatchObject({ _type: "EXEC_ERROR", exitCode: 3, stdout: "out", stderr: "bad", cmd: ["sh", "-c", "echo out; echo bad >&2; exit 3"] })
  })

  it("accepts expect: FAILURE and a quoted enum", async () => {
    const r = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "exit 5"], expect: "FAILURE") { exitCode } } } }`)
    expect(r.errors).toBeUndefined()
    expect(r.data.container.from.withExec.exitCode).toBe(5)
  })

  it("builds directories and lists entries", async () => {
    const r = await query(session, `{ directory { withNewFile(path: "a/b.txt", contents: "hi") { withNewFile(path: "c.txt", contents: "x") { entries } } } }`)
    expect(r.errors).toBeUndefined()
    expect(r.data.directory.withNewFile.withNewFile.entries).toEqual(["a/", "c.txt"])
  })

  it("passes IDs between queries and loads them", async () => {
    const d = await query(session, `{ directory { withNewFile(path: "f.txt", contents: "data") { id } } }`)
    const id = d.data.directory.withNewFile.id as string
    const c = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { withDirectory(path: "/src", source: ${JSON.stringify(id)}) { withExec(args: ["cat", "/src/f.txt"]) { stdout } } } } }`)
    expect(c.errors).toBeUndefined()
    expect(c.data.container.from.withDirectory.withExec.stdout).toBe("data")
    const n = await query(session, `{ node(id: ${JSON.stringify(id)}) { ... on Directory { entries } } }`)
    expect(n.data.node.entries).toEqual(["f.txt"])
    const l = await query(session, `{ loadDirectoryFromID(id: ${JSON.stringify(id)}) { file(path: "f.txt") { contents } } }`)
    expect(l.data.loadDirectoryFromID.file.contents).toBe("data")
  })

  it("keeps serving after a document that does not parse or names an unknown field", async () => {
    const bad = await query(session, "{ container { ")
    expect(bad.errors?.[0]?.message).toMatch(/Syntax Error/)
    const unknown = await query(session, "{ nope }")
    expect(unknown.errors?.[0]?.message).toMatch(/Cannot query field "nope"/)
    const ok = await query(session, "{ version }")
    expect(ok.data.version).toBeTruthy()
  })

  it("names a missing image", async () => {
    const r = await query(session, `{ container { from(address: "dirk.local/does-not-exist:1") { id } } }`)
    expect(r.errors?.[0]?.message).toContain("dirk.local/does-not-exist:1")
  })

  it("answers malformed request bodies with an error and keeps serving", async () => {
    const post = (body: string) =>
      fetch(session.url, {
        method: "POST",
        headers: { authorization: "Basic " + Buffer.from(session.token + ":").toString("base64") },
        body
      })
    for (const body of ["{not json", "[]", "null", "{\"query\": 3}", "{\"query\": \"{ version }\", \"variables\": \"x\"}", "{\"query\": \"{ version }\", \"variables\": [1]}", "{\"query\": \"{ version }\", \"operationName\": 5}"]) {
      const res = await post(body)
      expect(res.status, body).toBe(400)
      expect(((await res.json()) as { errors: Array<{ message: string }> }).errors[0]?.message, body).toBeTruthy()
    }
    const ok = await query(session, "{ version }")
    expect(ok.data.version).toBeTruthy()
  })

  it("rejects an invalid image address with an error naming it, and keeps serving", async () => {
    for (const address of ["", "http://x/y", "Busybox"]) {
      const r = await query(session, `{ container { from(address: ${JSON.stringify(address)}) { withExec(args: ["true"]) { exitCode } } } }`)
      expect(r.errors?.[0]?.message, address).toContain(`invalid image address ${JSON.stringify(address)}`)
    }
    expect((await query(session, "{ version }")).data.version).toBeTruthy()
  })
})
