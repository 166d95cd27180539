import { assert, describe, it } from "@effect/vitest"
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
})
