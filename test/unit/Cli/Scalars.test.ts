import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as Scalars from "../../../src/Cli/Scalars.js"

const value = (e: Either.Either<Scalars.ArgValue, string>) => Either.getOrThrow(e)

describe("Scalars", () => {
  it("parses scalars by type", () => {
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Int" }, "42")), { _tag: "Value", value: 42 })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Int" }, "-7")), { _tag: "Value", value: -7 })
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Int" }, "4.2")))
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Int" }, "x")))
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Int" }, "99999999999")))
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Float" }, "1.5")), { _tag: "Value", value: 1.5 })
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Float" }, "")))
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Boolean" }, "true")), { _tag: "Value", value: true })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Boolean" }, "FALSE")), { _tag: "Value", value: false })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Boolean" }, "1")), { _tag: "Value", value: true })
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Boolean" }, "yes")))
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "String" }, " a b ")), { _tag: "Value", value: " a b " })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Scalar", name: "JSON" }, "{}")), {
      _tag: "Value",
      value: "{}"
    })
  })

  it("parses enums by member name (case-insensitive fallback)", () => {
    const kind = { _tag: "Enum", values: ["LOW", "HIGH"] } as const
    assert.deepStrictEqual(value(Scalars.parseScalar(kind, "HIGH")), { _tag: "Value", value: "HIGH" })
    assert.deepStrictEqual(value(Scalars.parseScalar(kind, "low")), { _tag: "Value", value: "LOW" })
    const bad = Scalars.parseScalar(kind, "mid")
    assert.isTrue(Either.isLeft(bad) && bad.left.includes("LOW, HIGH"))
  })

  it("keeps host paths and addresses for later resolution", () => {
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Directory" }, ".")), { _tag: "HostDirectory", path: "." })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "File" }, "a.txt")), { _tag: "HostFile", path: "a.txt" })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Container" }, "dirk.local/node:20")), {
      _tag: "ContainerAddress",
      address: "dirk.local/node:20"
    })
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Unsupported", name: "SecretID" }, "x")))
  })

  it("splits CSV like pflag", () => {
    assert.deepStrictEqual(Scalars.splitCsv("a,b,c"), ["a", "b", "c"])
    assert.deepStrictEqual(Scalars.splitCsv("\"a,b\",c"), ["a,b", "c"])
    assert.deepStrictEqual(Scalars.splitCsv("\"say \"\"hi\"\"\""), ["say \"hi\""])
    assert.deepStrictEqual(Scalars.splitCsv(""), [])
    assert.deepStrictEqual(Scalars.splitCsv("a,"), ["a", ""])
  })

  it("list flags take every occurrence, each split as CSV", () => {
    const v = value(Scalars.parseFlagValues({ _tag: "Int" }, true, ["1,2", "3"]))
    assert.deepStrictEqual(v, {
      _tag: "List",
      items: [{ _tag: "Value", value: 1 }, { _tag: "Value", value: 2 }, { _tag: "Value", value: 3 }]
    })
    const single = value(Scalars.parseFlagValues({ _tag: "String" }, false, ["a", "b"]))
    assert.deepStrictEqual(single, { _tag: "Value", value: "b" })
  })

  it.prop("CSV of plain fields round trips", [fc.array(fc.stringMatching(/^[^,"]*$/), { minLength: 1 })], ([xs]) => {
    const joined = xs.join(",")
    if (joined === "") return
    assert.deepStrictEqual(Scalars.splitCsv(joined), xs)
  })

  it("parses Secret flags into URIs (reference §5)", () => {
    const secret = (raw: string) => value(Scalars.parseScalar({ _tag: "Secret" }, raw))
    assert.deepStrictEqual(secret("env:TOKEN"), { _tag: "SecretUri", uri: "env://TOKEN" })
    assert.deepStrictEqual(secret("file:./t.txt"), { _tag: "SecretUri", uri: "file://./t.txt" })
    assert.deepStrictEqual(secret("cmd:gh auth token"), { _tag: "SecretUri", uri: "cmd://gh auth token" })
    assert.deepStrictEqual(secret("TOKEN"), { _tag: "SecretUri", uri: "env://TOKEN" })
    assert.deepStrictEqual(secret("env://TOKEN?cacheKey=ci"), { _tag: "SecretUri", uri: "env://TOKEN", cacheKey: "ci" })
  })
})

describe("Service arguments", () => {
  it("tcp://host:port and udp://host:port are ports of the client's host; anything else names the value", () => {
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Service" }, "tcp://localhost:5432")), {
      _tag: "HostService", host: "localhost", port: 5432, protocol: "TCP"
    })
    assert.deepStrictEqual(value(Scalars.parseScalar({ _tag: "Service" }, "udp://[::1]:53")), {
      _tag: "HostService", host: "::1", port: 53, protocol: "UDP"
    })
    const bad = Scalars.parseScalar({ _tag: "Service" }, "localhost:5432")
    assert.isTrue(Either.isLeft(bad))
    assert.match(Either.isLeft(bad) ? bad.left : "", /invalid service "localhost:5432" \(expected tcp:\/\/host:port/)
    assert.isTrue(Either.isLeft(Scalars.parseScalar({ _tag: "Service" }, "tcp://h:99999")))
  })
})

describe("parsePortForward", () => {
  it("FRONTEND:BACKEND, a single port, a protocol", () => {
    assert.deepStrictEqual(Scalars.parsePortForward("8080:80"), { frontend: 8080, backend: 80, protocol: "TCP" })
    assert.deepStrictEqual(Scalars.parsePortForward("5432"), { frontend: 5432, backend: 5432, protocol: "TCP" })
    assert.deepStrictEqual(Scalars.parsePortForward("53:53/udp"), { frontend: 53, backend: 53, protocol: "UDP" })
  })

  it("names what is wrong", () => {
    assert.match((Scalars.parsePortForward("80:http") as { error: string }).error, /invalid port forward "80:http"/)
    assert.match((Scalars.parsePortForward("0:80") as { error: string }).error, /frontend port 0 is not in 1-65535/)
    assert.match((Scalars.parsePortForward("80:70000") as { error: string }).error, /backend port 70000/)
  })

  it.prop("round-trips every pair of valid ports", [fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 })], ([f, b]) => {
    assert.deepStrictEqual(Scalars.parsePortForward(`${f}:${b}`), { frontend: f, backend: b, protocol: "TCP" })
  })
})
