/**
 * Modules end to end: a TypeScript module written with `@dagger.io/dagger` is loaded into a session, registered in
 * a Node container, and its functions are called over GraphQL (real Docker, images built by scripts/images.sh).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { busyboxImage } from "../support/docker.js"
import { openSession, query, startEngine } from "../support/session.js"

const fixture = path.resolve(__dirname, "../fixtures/modules/greeter")
const nodeImage = process.env.DIRK_NODE_IMAGE ?? "dirk.local/node:20"

let session: SessionInfo
let close: () => Promise<void>
let scratch: string

const ok = async (q: string) => {
  const r = await query(session, q)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}

const writeModule = (name: string, files: Record<string, string>): string => {
  const dir = path.join(scratch, name)
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), text)
  }
  return dir
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-modules-test-"))
  ;({ session, close } = await openSession(path.dirname(fixture), [busyboxImage, nodeImage]))
  // load the fixture by a path relative to the session's workdir
  const r = await query(session, `{ moduleSource(refString: "greeter") { asModule { serve } } }`)
  if (r.errors !== undefined) throw new Error(`serving the fixture failed: ${JSON.stringify(r.errors)}`)
})

afterAll(async () => {
  await close?.()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("modules", () => {
  it("reads the module's name and description", async () => {
    const d = await ok(`{ moduleSource(refString: "greeter") { moduleName } }`)
    expect(d.moduleSource.moduleName).toBe("greeter")
    const m = await ok(`{ moduleSource(refString: "greeter") { asModule { description } } }`)
    expect(m.moduleSource.asModule.description).toBe("A fixture module for dirk's integration tests.")
  })

  it("serves String and Boolean args with defaults, and the constructor", async () => {
    const d = await ok(`{ greeter { hello } }`)
    expect(d.greeter.hello).toBe("Hello, world!")
    const e = await ok(`{ greeter(greeting: "Hi") { hello(name: "dirk", shout: true) } }`)
    expect(e.greeter.hello).toBe("HI, DIRK!")
    const f = await ok(`{ greeter(greeting: "Yo") { greeting } }`)
    expect(f.greeter.greeting).toBe("Yo")
  })

  it("serves optional args, Int and Boolean", async () => {
    const d = await ok(`{ greeter { a: maybe b: add(a: 40) c: not(value: false) } }`)
    expect(d.greeter).toEqual({ a: "nobody", b: 42, c: true })
    const e = await ok(`{ greeter { maybe(name: "x") add(a: 1, b: 1) } }`)
    expect(e.greeter).toEqual({ maybe: "got x", add: 2 })
  })

  it("takes and returns Directory and File", async () => {
    const d = await ok(`{ greeter { report(title: "Q3") { entries file(path: "report.md") { contents } } } }`)
    expect(d.greeter.report.entries).toEqual(["report.md"])
    expect(d.greeter.report.file.contents).toBe("# Q3\n")
    const dir = await ok(`{ directory { withNewFile(path: "a", contents: "1") { withNewFile(path: "b", contents: "2") { id } } } }`)
    const c = await ok(`{ greeter { count(dir: ${JSON.stringify(dir.directory.withNewFile.withNewFile.id)}) } }`)
    expect(c.greeter.count).toBe(2)
    const file = await ok(`{ greeter { makeFile(contents: "made here") { id contents } } }`)
    expect(file.greeter.makeFile.contents).toBe("made here")
    const r = await ok(`{ greeter { read(file: ${JSON.stringify(file.greeter.makeFile.id)}) } }`)
    expect(r.greeter.read).toBe("made here")
  })

  it("takes and returns Container", async () => {
    const b = await ok(`{ greeter { base { id withExec(args: ["echo", "from base"]) { stdout } } } }`)
    expect(b.greeter.base.withExec.stdout).toBe("from base\n")
    const e = await ok(`{ greeter { echo(ctr: ${JSON.stringify(b.greeter.base.id)}, msg: "hey") } }`)
    expect(e.greeter.echo).toBe("hey\n")
  })

  it("returns module objects and calls their functions", async () => {
    const d = await ok(`{ greeter(greeting: "Hey") { message(text: "there") { text upper } } }`)
    expect(d.greeter.message).toEqual({ text: "Hey: there", upper: "HEY: THERE" })
  })

  it("exposes doc comments as descriptions", async () => {
    const d = await ok(`{ __type(name: "Greeter") { description fields { name description args { name description defaultValue type { kind name ofType { name } } } } } }`)
    const t = d.__type
    expect(t.description).toBe("Greets people and plays with files")
    const hello = t.fields.find((f: any) => f.name === "hello")
    expect(hello.description).toBe("Say hello to someone")
    const name = hello.args.find((a: any) => a.name === "name")
    expect(name.description).toBe("who to greet")
    expect(name.defaultValue).toBe("\"world\"")
    expect(name.type).toMatchObject({ kind: "SCALAR", name: "String" })
    const makeFile = t.fields.find((f: any) => f.name === "makeFile")
    expect(makeFile.description).toBe("Makes a file")
    const msg = await ok(`{ __type(name: "GreeterMessage") { description } }`)
    expect(msg.__type.description).toBe("A message built by the greeter")
  })

  it("propagates an exec failure inside a function as EXEC_ERROR", async () => {
    const r = await query(session, `{ greeter { fail(code: 4) } }`)
    expect(r.errors?.[0]?.message).toMatch(/exit code: 4/)
    expect(r.errors?.[0]?.extensions).toMatchObject({
      _type: "EXEC_ERROR",
      exitCode: 4,
      stdout: "out",
      stderr: "err",
      cmd: ["sh", "-c", "echo out; echo err >&2; exit 4"]
    })
  })

  it("names the path of a missing module or dagger.json", async () => {
    const r = await query(session, `{ moduleSource(refString: "does-not-exist") { moduleName } }`)
    expect(r.errors?.[0]?.message).toContain(path.join(path.dirname(fixture), "does-not-exist"))
    const empty = fs.mkdtempSync(path.join(scratch, "empty-"))
    const e = await query(session, `{ moduleSource(refString: ${JSON.stringify(empty)}) { moduleName } }`)
    expect(e.errors?.[0]?.message).toContain(path.join(empty, "dagger.json"))
  })

  it("reports a module that does not compile with the SDK's message and the file", async () => {
    const dir = writeModule("broken", {
      "dagger.json": JSON.stringify({ name: "broken", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module" }),
      "src/index.ts": [
        "import { object, func } from \"@dagger.io/dagger\"",
        "@object()",
        "export class Broken {",
        "  @func()",
        "  hello(): string {",
        "    return \"hi\" +",
        "  }",
        "}",
        ""
      ].join("\n")
    })
    const r = await query(session, `{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    const message = r.errors?.[0]?.message ?? ""
    expect(message).toMatch(/registration ended without returning a result/)
    // the file as the user knows it: its host path, not the container's
    expect(message).toContain(path.join(dir, "src/index.ts"))
  })

  it("reports a missing dependency with the SDK's message", async () => {
    const dir = writeModule("missing-dep", {
      "dagger.json": JSON.stringify({ name: "missing-dep", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module" }),
      "src/index.ts": [
        "import { object, func } from \"@dagger.io/dagger\"",
        "import leftPad from \"left-pad-not-installed\"",
        "@object()",
        "export class MissingDep {",
        "  @func()",
        "  hello(): string {",
        "    return leftPad(\"hi\", 5)",
        "  }",
        "}",
        ""
      ].join("\n")
    })
    const r = await query(session, `{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    const message = r.errors?.[0]?.message ?? ""
    expect(message).toContain("left-pad-not-installed")
    expect(message).toContain(path.join(dir, "src/index.ts"))
  })

  it("installs the module's npm dependencies on the host and mounts them (no network in the container)", async () => {
    const dir = writeModule("with-deps", {
      "dagger.json": JSON.stringify({ name: "with-deps", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module", dependencies: { "@dagger.io/dagger": "0.21.9", "is-number": "7.0.0" } }),
      "src/index.ts": [
        "import { object, func } from \"@dagger.io/dagger\"",
        "import isNumber from \"is-number\"",
        "@object()",
        "export class WithDeps {",
        "  @func()",
        "  check(value: string): boolean {",
        "    return isNumber(value)",
        "  }",
        "}",
        ""
      ].join("\n")
    })
    const served = await query(session, `{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    expect(served.errors, JSON.stringify(served.errors)).toBeUndefined()
    expect((await ok(`{ withDeps { check(value: "42") } }`)).withDeps.check).toBe(true)
    expect((await ok(`{ withDeps { check(value: "forty-two") } }`)).withDeps.check).toBe(false)
  })

  it("installs a local (file:) dependency as a copy the container can read; a missing one is an error naming it", async () => {
    writeModule("local-lib", {
      "package.json": JSON.stringify({ name: "local-lib", version: "1.0.0", type: "module", main: "index.js" }),
      "index.js": "export const shout = (s) => s.toUpperCase() + \"!\"\n"
    })
    const dir = writeModule("with-local", {
      "dagger.json": JSON.stringify({ name: "with-local", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module", dependencies: { "local-lib": "file:../local-lib" } }),
      "src/index.ts": [
        "import { object, func } from \"@dagger.io/dagger\"",
        "import { shout } from \"local-lib\"",
        "@object()",
        "export class WithLocal {",
        "  @func()",
        "  loud(value: string): string {",
        "    return shout(value)",
        "  }",
        "}",
        ""
      ].join("\n")
    })
    const served = await query(session, `{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    expect(served.errors, JSON.stringify(served.errors)).toBeUndefined()
    expect((await ok(`{ withLocal { loud(value: "hi") } }`)).withLocal.loud).toBe("HI!")

    const missing = writeModule("with-missing-local", {
      "dagger.json": JSON.stringify({ name: "with-missing-local", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module", dependencies: { "gone-lib": "file:../gone-lib" } }),
      "src/index.ts": "import { object } from \"@dagger.io/dagger\"\n@object()\nexport class WithMissingLocal {}\n"
    })
    const r = await query(session, `{ moduleSource(refString: ${JSON.stringify(missing)}) { asModule { serve } } }`)
    const message = r.errors?.[0]?.message ?? ""
    expect(message).toContain("gone-lib")
    expect(message).toContain(path.join(scratch, "gone-lib", "package.json"))
  })

  it("reports an npm dependency that cannot be installed, naming it", async () => {
    const dir = writeModule("bad-deps", {
      "dagger.json": JSON.stringify({ name: "bad-deps", sdk: "typescript" }),
      "package.json": JSON.stringify({ type: "module", dependencies: { "dirk-no-such-package-7f3a9c": "1.0.0" } }),
      "src/index.ts": "import { object } from \"@dagger.io/dagger\"\n@object()\nexport class BadDeps {}\n"
    })
    const r = await query(session, `{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    const message = r.errors?.[0]?.message ?? ""
    expect(message).toContain("dirk-no-such-package-7f3a9c")
    expect(message).toMatch(/installing its npm dependencies/)
  })
})

describe("one engine, several sessions", () => {
  it("gives each session its own port, token and schema", async () => {
    const engine = await startEngine([busyboxImage, nodeImage])
    try {
      const a = await engine.openSession(path.dirname(fixture))
      const b = await engine.openSession(path.dirname(fixture))
      expect(a.port).not.toBe(b.port)
      expect(a.token).not.toBe(b.token)
      // a session's token is not valid on another session
      expect((await query(b, "{ version }", a.token)).status).toBe(401)
      const served = await query(a, `{ moduleSource(refString: "greeter") { asModule { serve } } }`)
      expect(served.errors, JSON.stringify(served.errors)).toBeUndefined()
      expect((await query(a, `{ greeter { hello(name: "a") } }`)).data.greeter.hello).toBe("Hello, a!")
      // the module was served into session a only
      expect((await query(b, `{ greeter { hello } }`)).errors?.[0]?.message).toMatch(/Cannot query field "greeter"/)
    } finally {
      await engine.close()
    }
  })
})
