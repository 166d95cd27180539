import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Service from "../../../src/Dag/Service.js"
import type * as Op from "../../../src/Dag/Op.js"

const digest = fc.hexaString({ minLength: 64, maxLength: 64 }).map((h) => `sha256:${h}`)

describe("Service.hostnameOf", () => {
  it.prop("is stable, 13 base32 characters, and a valid hostname", [digest], ([d]) => {
    const h = Service.hostnameOf(d)
    assert.strictEqual(h, Service.hostnameOf(d))
    assert.match(h, /^[a-z2-7]{13}$/)
    assert.isUndefined(Service.hostnameError(h))
  })

  it.prop("differs for different digests", [digest, digest], ([a, b]) => {
    fc.pre(a !== b)
    assert.notStrictEqual(Service.hostnameOf(a), Service.hostnameOf(b))
  })
})

describe("Service.hostnameError", () => {
  it("accepts hostnames and names what is wrong with the rest", () => {
    for (const ok of ["db", "my-db", "a.b.c", "x1", "9lives", "A"]) assert.isUndefined(Service.hostnameError(ok), ok)
    assert.match(Service.hostnameError("")!, /empty/)
    assert.match(Service.hostnameError("bad_alias")!, /"bad_alias" holds characters other than/)
    assert.match(Service.hostnameError("-db")!, /starts or ends with -/)
    assert.match(Service.hostnameError("a..b")!, /empty label/)
    assert.match(Service.hostnameError("x".repeat(64))!, /longer than 63/)
    assert.match(Service.hostnameError("not a hostname")!, /characters other than/)
  })

  it.prop("accepts every label of letters, digits and inner dashes", [
    fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
  ], ([labels]) => {
    assert.isUndefined(Service.hostnameError(labels.join(".")))
  })
})

describe("Service.forwardsFor", () => {
  const ports: ReadonlyArray<Op.ServicePort> = [
    { port: 80, protocol: "TCP", skipHealthcheck: false },
    { port: 53, protocol: "UDP", skipHealthcheck: true }
  ]

  it("no forwards asked: every port of the service, on the same number or (random) on 0", () => {
    assert.deepStrictEqual(Service.forwardsFor([], ports, false), [
      { frontend: 80, backend: 80, protocol: "TCP" },
      { frontend: 53, backend: 53, protocol: "UDP" }
    ])
    assert.deepStrictEqual(Service.forwardsFor([], ports, true).map((f) => f.frontend), [0, 0])
  })

  it.prop("forwards asked: kept, a missing frontend is the backend, random makes every frontend 0", [
    fc.array(fc.record({ frontend: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), backend: fc.integer({ min: 1, max: 65535 }) }), { minLength: 1, maxLength: 4 }),
    fc.boolean()
  ], ([asked, random]) => {
    const given = asked.map((a): Op.PortForward => ({ ...a, protocol: "TCP" }))
    const out = Service.forwardsFor(given, ports, random)
    assert.deepStrictEqual(out.map((f) => f.backend), given.map((f) => f.backend))
    assert.deepStrictEqual(out.map((f) => f.frontend), given.map((f) => (random ? 0 : f.frontend ?? f.backend)))
  })
})

describe("an exec's identity and its bindings", () => {
  const base = { args: ["true"], env: [], workdir: "/", user: "", stdin: "", redirectStdout: "", redirectStderr: "", expect: "SUCCESS", tmpfs: [] } as const
  const svc = (d: string): Op.ServiceSpec => ({ _tag: "Host", digest: d, hostname: Service.hostnameOf(d), host: "localhost", forwards: [] })

  it("binding a service changes the exec's digest, by alias and by the service's digest; none leaves it as it was", async () => {
    const OpM = await import("../../../src/Dag/Op.js")
    const plain = OpM.exec(OpM.scratchImage, [], base)
    assert.strictEqual(OpM.exec(OpM.scratchImage, [], { ...base, services: [] }).digest, plain.digest)
    const a = OpM.exec(OpM.scratchImage, [], { ...base, services: [{ alias: "db", service: svc("sha256:a") }] })
    const b = OpM.exec(OpM.scratchImage, [], { ...base, services: [{ alias: "db", service: svc("sha256:b") }] })
    const c = OpM.exec(OpM.scratchImage, [], { ...base, services: [{ alias: "cache", service: svc("sha256:a") }] })
    assert.strictEqual(new Set([plain.digest, a.digest, b.digest, c.digest]).size, 4)
    const other: Op.ServiceSpec = { _tag: "Host", digest: "sha256:a", hostname: "x", host: "other", forwards: [] }
    const again = OpM.exec(OpM.scratchImage, [], { ...base, services: [{ alias: "db", service: other }] })
    assert.strictEqual(again.digest, a.digest, "the service is named by its digest alone")
  })
})
