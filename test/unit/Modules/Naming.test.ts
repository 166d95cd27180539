import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Naming from "../../../src/Modules/Naming.js"

describe("Naming", () => {
  it("pascal", () => {
    assert.strictEqual(Naming.pascal("greeter"), "Greeter")
    assert.strictEqual(Naming.pascal("my-mod"), "MyMod")
    assert.strictEqual(Naming.pascal("hello_world"), "HelloWorld")
    assert.strictEqual(Naming.pascal("helloWorld"), "HelloWorld")
    assert.strictEqual(Naming.pascal("HTTPServer"), "HTTPServer")
  })

  it("lowerCamel", () => {
    assert.strictEqual(Naming.lowerCamel("greeter"), "greeter")
    assert.strictEqual(Naming.lowerCamel("my-mod"), "myMod")
    assert.strictEqual(Naming.lowerCamel("HelloWorld"), "helloWorld")
    assert.strictEqual(Naming.lowerCamel("makeFile"), "makeFile")
    assert.strictEqual(Naming.lowerCamel("HTTPServer"), "httpServer")
    assert.strictEqual(Naming.lowerCamel("URL"), "url")
    assert.strictEqual(Naming.lowerCamel("with_exec"), "withExec")
  })

  it("namespaces non-main types by the module name", () => {
    assert.strictEqual(Naming.namespaced("greeter", "Greeter"), "Greeter")
    assert.strictEqual(Naming.namespaced("my-mod", "MyMod"), "MyMod")
    assert.strictEqual(Naming.namespaced("greeter", "Message"), "GreeterMessage")
    assert.strictEqual(Naming.namespaced("greeter", "GreeterMessage"), "GreeterMessage")
    assert.strictEqual(Naming.namespaced("greeter", "Greeters"), "GreeterGreeters")
    assert.isTrue(Naming.isMainObject("my-mod", "MyMod"))
    assert.isFalse(Naming.isMainObject("my-mod", "Mod"))
  })

  it("GraphQL-izes enum member names (SCREAMING_SNAKE unless already conventional)", () => {
    assert.strictEqual(Naming.enumMember("Low"), "LOW")
    assert.strictEqual(Naming.enumMember("low"), "LOW")
    assert.strictEqual(Naming.enumMember("veryHigh"), "VERY_HIGH")
    assert.strictEqual(Naming.enumMember("VeryHigh"), "VERY_HIGH")
    assert.strictEqual(Naming.enumMember("very-high"), "VERY_HIGH")
    assert.strictEqual(Naming.enumMember("HTTPServer"), "HTTP_SERVER")
    assert.strictEqual(Naming.enumMember("VERY_HIGH"), "VERY_HIGH")
    assert.strictEqual(Naming.enumMember("V1"), "V1")
    assert.strictEqual(Naming.enumMember("_INTERNAL"), "_INTERNAL")
  })

  const identifier = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/)

  it.prop("an enum member's GraphQL name is a conventional GraphQL name", [identifier], ([name]) => {
    assert.match(Naming.enumMember(name), /^[A-Z_][A-Z0-9_]*$/)
  })

  it.prop("GraphQL-izing enum member names is idempotent", [identifier], ([name]) => {
    const once = Naming.enumMember(name)
    assert.strictEqual(Naming.enumMember(once), once)
  })

  it.prop("conventional names are kept", [fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/)], ([name]) => {
    assert.strictEqual(Naming.enumMember(name), name)
  })

  it.prop("only case and separators change: the letters and digits stay in order", [identifier], ([name]) => {
    const key = (s: string) => s.replace(/[^A-Za-z0-9]/g, "").toUpperCase()
    assert.strictEqual(key(Naming.enumMember(name)), key(name))
  })
})
