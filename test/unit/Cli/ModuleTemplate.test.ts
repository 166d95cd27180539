import { describe, expect, it } from "vitest"
import * as ModuleTemplate from "../../../src/Cli/ModuleTemplate.js"

describe("ModuleTemplate", () => {
  it("puts the code in .dagger when the directory has visible files or a .dagger directory, else in .", () => {
    expect(ModuleTemplate.defaultSource([])).toBe(".")
    expect(ModuleTemplate.defaultSource([".git", ".gitignore"])).toBe(".")
    expect(ModuleTemplate.defaultSource([".git", "README.md"])).toBe(".dagger")
    expect(ModuleTemplate.defaultSource([".dagger"])).toBe(".dagger")
  })

  it("writes dagger.json with the SDK and source only when given", () => {
    expect(JSON.parse(ModuleTemplate.daggerJson({ name: "m", sdk: undefined, source: undefined, engineVersion: "v1" })))
      .toEqual({ name: "m", engineVersion: "v1" })
    expect(JSON.parse(ModuleTemplate.daggerJson({ name: "m", sdk: "typescript", source: ".dagger", engineVersion: "v1" })))
      .toEqual({ name: "m", engineVersion: "v1", sdk: { source: "typescript" }, source: ".dagger" })
  })

  it("names the main class after the module", () => {
    expect(ModuleTemplate.indexTs("my-mod")).toContain("export class MyMod {")
    expect(ModuleTemplate.indexTs("ci_tools")).toContain("export class CiTools {")
  })
})
