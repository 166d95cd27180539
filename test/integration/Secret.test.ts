/**
 * Secrets across the sessions of one in-process engine: a Secret's ID from one session is refused in another (its
 * value never shown), also inside a container's ID; a URI secret is resolved by each session's client (in-process:
 * this process); equal values share the cache across sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { busyboxImage } from "../support/docker.js"
import { query, startEngine } from "../support/session.js"

let engine: Awaited<ReturnType<typeof startEngine>>
let a: SessionInfo
let b: SessionInfo
const value = `inproc-${Math.random().toString(36).slice(2)}-${Date.now()}`

const ok = async (session: SessionInfo, q: string, variables?: Record<string, unknown>) => {
  const r = await fetchQuery(session, q, variables)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}

const fetchQuery = async (session: SessionInfo, q: string, variables?: Record<string, unknown>) => {
  if (variables === undefined) return query(session, q)
  const res = await fetch(session.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Basic " + Buffer.from(session.token + ":").toString("base64") },
    body: JSON.stringify({ query: q, variables })
  })
  return (await res.json()) as { data?: any; errors?: Array<{ message: string }> }
}

beforeAll(async () => {
  engine = await startEngine()
  a = await engine.openSession()
  b = await engine.openSession()
})

afterAll(async () => {
  await engine?.close()
})

describe("secrets across sessions", () => {
  it("a container using another session's secret cannot run; the error names the secret, not its value", async () => {
    const d = await ok(a, `query($v: String!) { setSecret(name: "token", plaintext: $v) { id } }`, { v: value })
    const secretId: string = d.setSecret.id
    const c = await ok(a, `query($s: SecretID!) { container { from(address: "${busyboxImage}") {
      withSecretVariable(name: "T", secret: $s) { withExec(args: ["sh", "-c", "echo $T; echo run-${Date.now()}"]) { id stdout } } } } }`, { s: secretId })
    const exec = c.container.from.withSecretVariable.withExec
    expect(exec.stdout).toMatch(/^\*\*\*\nrun-/)
    // another session: the secret's ID, and a new exec on the container, are refused
    const refused = await fetchQuery(b, `query($s: SecretID!) { loadSecretFromID(id: $s) { plaintext } }`, { s: secretId })
    expect(refused.errors?.[0]?.message).toMatch(/secret "token" was not set in this session/)
    const other = await fetchQuery(b, `query($c: ContainerID!) { loadContainerFromID(id: $c) { withExec(args: ["sh", "-c", "echo $T"]) { stdout } } }`, { c: exec.id })
    expect(other.errors?.[0]?.message).toMatch(/secret "token"/)
    expect(JSON.stringify(other)).not.toContain(value)
    expect(JSON.stringify(refused)).not.toContain(value)
  })

  it("secret(uri) is resolved by each session's client; equal values hit the cache across sessions", async () => {
    process.env.DIRK_INPROC_SECRET = value
    const q = `{ container { from(address: "${busyboxImage}") {
      withSecretVariable(name: "S", secret: ${"$"}{S}) { withExec(args: ["sh", "-c", "echo ${"$"}{#S}; head -c 8 /dev/urandom | od -An -tx1"]) { stdout } } } } }`
    const run = async (session: SessionInfo, expected = value) => {
      const s = await ok(session, `{ secret(uri: "env://DIRK_INPROC_SECRET") { id plaintext uri } }`)
      expect(s.secret.plaintext).toBe(expected)
      expect(s.secret.uri).toBe("env://DIRK_INPROC_SECRET")
      const r = await ok(session, q.replace("${S}", JSON.stringify(s.secret.id)))
      return r.container.from.withSecretVariable.withExec.stdout as string
    }
    const first = await run(a)
    expect(first.startsWith(`${value.length}\n`)).toBe(true)
    expect(await run(b)).toBe(first)
    process.env.DIRK_INPROC_SECRET = value + "-changed"
    const changed = await run(b, value + "-changed")
    expect(changed.startsWith(`${value.length + 8}\n`)).toBe(true)
    expect(changed).not.toBe(first)
  })

  it("an exec with secret variables behaves as any exec: stdin, workdir, user, exit codes, a missing command, an unknown user", async () => {
    const d = await ok(a, `query($v: String!) { setSecret(name: "token", plaintext: $v) { id } }`, { v: value })
    const base = (rest: string) => `query($s: SecretID!) { container { from(address: "${busyboxImage}") {
      withSecretVariable(name: "T", secret: $s) { ${rest} } } } }`
    const run = (rest: string) => fetchQuery(a, base(rest), { s: d.setSecret.id })
    const stdin = await run(`withWorkdir(path: "/tmp") { withUser(name: "nobody") {
      withExec(args: ["sh", "-c", "cat; pwd; id -un; echo $T"], stdin: "from stdin\\n") { stdout } } }`)
    expect(stdin.errors).toBeUndefined()
    expect(stdin.data.container.from.withSecretVariable.withWorkdir.withUser.withExec.stdout).toBe("from stdin\n/tmp\nnobody\n***\n")
    const code = await run(`withExec(args: ["sh", "-c", "echo $T >&2; exit 3"], expect: ANY) { exitCode stderr }`)
    expect(code.data.container.from.withSecretVariable.withExec).toEqual({ exitCode: 3, stderr: "***\n" })
    const missing = await run(`withExec(args: ["/no/such/binary"]) { stdout }`)
    expect(missing.errors?.[0]?.message).toMatch(/exit code: 127/)
    const user = await run(`withUser(name: "nosuchuser") { withExec(args: ["true"]) { stdout } }`)
    expect(user.errors?.[0]?.message).toMatch(/nosuchuser/)
    // the rootfs changes of the exec are kept
    const kept = await run(`withExec(args: ["sh", "-c", "echo made > /made.txt"]) { withoutSecretVariable(name: "T") { file(path: "/made.txt") { contents } } }`)
    expect(kept.data.container.from.withSecretVariable.withExec.withoutSecretVariable.file.contents).toBe("made\n")
  })
})
