/**
 * The types of module functions over GraphQL (a session of an in-process engine): enums, interfaces, contextual
 * Directory/File arguments (`defaultPath`, `ignore`), cache policies, errors. The module is the `kitchen` fixture,
 * copied into a git work tree so that its context directory is known.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { busyboxImage } from "../support/docker.js"
import { kitchenRepo } from "../support/kitchen.js"
import { query, startEngine } from "../support/session.js"

const nodeImage = process.env.DIRK_NODE_IMAGE ?? "dirk.local/node:20"

// these modules are served by the engine's spare runner when it is ready (WarmPool.ts)
process.env.DIRK_MODULE_SPARE = "1"

let engine: Awaited<ReturnType<typeof startEngine>>
let a: SessionInfo
let b: SessionInfo
let scratch: string
let repo: string

const ok = async (q: string, session = a) => {
  const r = await query(session, q)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}

const failure = async (q: string, session = a) => {
  const r = await query(session, q)
  expect(r.errors, JSON.stringify(r.data)).toBeDefined()
  return r.errors![0]!
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-types-test-"))
  ;({ repo } = kitchenRepo(scratch))
  engine = await startEngine([busyboxImage, nodeImage])
  a = await engine.openSession(repo)
  b = await engine.openSession(repo)
  for (const s of [a, b]) {
    const r = await query(s, `{ moduleSource(refString: "mod") { asModule { serve } } }`)
    if (r.errors !== undefined) throw new Error(`serving the fixture failed: ${JSON.stringify(r.errors)}`)
  }
})

afterAll(async () => {
  await engine?.close()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("enums", () => {
  it("GraphQL-izes member names; the function gets the member's value and its result comes back by name", async () => {
    const t = await ok(`{ __type(name: "KitchenLevel") { kind enumValues { name description } } }`)
    expect(t.__type.kind).toBe("ENUM")
    expect(t.__type.enumValues.map((v: { name: string }) => v.name)).toEqual(["LOW", "HIGH", "VERY_HIGH"])
    expect(t.__type.enumValues[0].description).toBe("Barely")
    const d = await ok(`{ kitchen { a: level(level: HIGH) b: level c: loudest d: levels(levels: [LOW, VERY_HIGH]) } }`)
    expect(d.kitchen).toEqual({ a: "k:high", b: "k:low", c: "VERY_HIGH", d: ["low!", "very-high!"] })
    const args = await ok(`{ __type(name: "Kitchen") { fields { name args { name defaultValue } } } }`)
    const level = args.__type.fields.find((f: { name: string }) => f.name === "level")
    expect(level.args).toEqual([{ name: "level", defaultValue: "LOW" }])
    expect((await failure(`{ kitchen { level(level: low) } }`)).message).toContain(`Argument "level" has invalid value low.`)
  })
})

describe("interfaces", () => {
  it("declares the interface, implemented by the objects that have its functions", async () => {
    const t = await ok(`{ __type(name: "KitchenNamed") { kind possibleTypes { name } fields { name } } }`)
    expect(t.__type.kind).toBe("INTERFACE")
    expect(t.__type.possibleTypes.map((p: { name: string }) => p.name).sort()).toEqual(["KitchenCat", "KitchenDog"])
    expect(t.__type.fields.map((f: { name: string }) => f.name)).toEqual(["id", "name"])
  })

  it("takes an object of the module that implements it as an interface argument", async () => {
    const ids = await ok(`{ kitchen { dog(nick: "rex") { id } cat { id } rock { id } } }`)
    const dog = JSON.stringify(ids.kitchen.dog.id)
    const cat = JSON.stringify(ids.kitchen.cat.id)
    const d = await ok(`{ kitchen { a: greet(named: ${dog}) b: greet(named: ${cat}) } }`)
    expect(d.kitchen).toEqual({ a: "hello dog rex", b: "hello cat" })
    const rock = await failure(`{ kitchen { greet(named: ${JSON.stringify(ids.kitchen.rock.id)}) } }`)
    expect(rock.message).toContain("expected an ID of type KitchenNamed, got an ID of type KitchenRock")
  })

  it("returns an interface, and converts an object to it with as<Interface>", async () => {
    const ids = await ok(`{ kitchen { dog(nick: "max") { asKitchenNamed { id name } } cat { id } } }`)
    expect(ids.kitchen.dog.asKitchenNamed.name).toBe("dog max")
    const dog = JSON.stringify(ids.kitchen.dog.asKitchenNamed.id)
    const cat = JSON.stringify(ids.kitchen.cat.id)
    const d = await ok(`{ kitchen {
      a: pick(first: ${dog}, second: ${cat}) { name ... on KitchenDog { nick } }
      b: pick(first: ${dog}, second: ${cat}, takeSecond: true) { name __typename }
    } }`)
    expect(d.kitchen.a).toEqual({ name: "dog max", nick: "max" })
    expect(d.kitchen.b).toEqual({ name: "cat", __typename: "KitchenCat" })
  })
})

describe("defaultPath and ignore", () => {
  it("loads an omitted Directory or File from the context directory (/x) or next to dagger.json (./x)", async () => {
    const d = await ok(`{ kitchen { tree local readme } }`)
    expect(d.kitchen).toEqual({ tree: ["a.txt", "readme.txt"], local: ["x.txt"], readme: "read me\n" })
  })

  it("reads the host again: a change shows on the next call", async () => {
    expect((await ok(`{ kitchen { data { entries } } }`)).kitchen.data.entries).toEqual(["a.txt", "b.log", "readme.txt"])
    fs.writeFileSync(path.join(repo, "data", "c.txt"), "c\n")
    fs.writeFileSync(path.join(repo, "data", "c.log"), "c\n")
    try {
      expect((await ok(`{ kitchen { tree } }`)).kitchen.tree).toEqual(["a.txt", "c.txt", "readme.txt"])
      // a function returning an object built from it too
      expect((await ok(`{ kitchen { data { entries } } }`)).kitchen.data.entries).toEqual(["a.txt", "b.log", "c.log", "c.txt", "readme.txt"])
    } finally {
      fs.rmSync(path.join(repo, "data", "c.txt"))
      fs.rmSync(path.join(repo, "data", "c.log"))
    }
  })

  it("uses a given argument instead", async () => {
    const dir = await ok(`{ directory { withNewFile(path: "z", contents: "") { id } } }`)
    const d = await ok(`{ kitchen { tree(dir: ${JSON.stringify(dir.directory.withNewFile.id)}) } }`)
    expect(d.kitchen.tree).toEqual(["z"])
  })

  it("refuses a path outside the context directory, naming it", async () => {
    const e = await failure(`{ kitchen { outside } }`)
    expect(e.message).toBe(
      `module kitchen: function outside, argument dir: defaultPath "../../..": ${path.dirname(scratch)} is outside ` +
        `the module's context directory ${repo}`
    )
  })
})

describe("cache policies", () => {
  const value = async (field: string, session = a): Promise<string> => (await ok(`{ kitchen { ${field} } }`, session)).kitchen[field]

  it("Default: one result for every session", async () => {
    const first = await value("stamp")
    expect(await value("stamp")).toBe(first)
    expect(await value("stamp", b)).toBe(first)
  })

  it("Never: every call runs", async () => {
    expect(await value("never")).not.toBe(await value("never"))
    // an object-returning function too, and a result's ID still names that result
    const d = await ok(`{ kitchen { x: freshDog { id nick } y: freshDog { nick } } }`)
    expect(d.kitchen.x.nick).not.toBe(d.kitchen.y.nick)
    const again = await ok(`{ loadKitchenDogFromID(id: ${JSON.stringify(d.kitchen.x.id)}) { nick } }`)
    expect(again.loadKitchenDogFromID.nick).toBe(d.kitchen.x.nick)
  })

  it("PerSession: one result per session", async () => {
    const inA = await value("session")
    expect(await value("session")).toBe(inA)
    expect(await value("session", b)).not.toBe(inA)
  })

  it("Default with a time-to-live: a result older than it runs again", async () => {
    const first = await value("ttl")
    expect(await value("ttl")).toBe(first)
    await new Promise((r) => setTimeout(r, 4500))
    expect(await value("ttl")).not.toBe(first)
  })
})

describe("errors and calls within a module", () => {
  it("a thrown error arrives with its message; an exec error as EXEC_ERROR with its values", async () => {
    expect((await failure(`{ kitchen { boom(what: "flag") } }`)).message).toBe("boom: bad flag")
    const e = await failure(`{ kitchen { fail } }`)
    expect(e.extensions?._type).toBe("EXEC_ERROR")
    expect(e.extensions?.exitCode).toBe(7)
    expect(String(e.extensions?.stderr)).toContain("oops")
  })

  it("a function calls another function of its own class", async () => {
    expect((await ok(`{ kitchen { quadruple(x: 3) } }`)).kitchen.quadruple).toBe(12)
  })
})
