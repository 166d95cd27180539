/**
 * Images through Dagger's own npm client (`test/compat/image.mjs` via `dirk run`): what it exports, `docker load`
 * runs; what it publishes, `docker pull` by digest runs.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"
import { registry } from "../support/docker.js"

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-image-"))
const repository = `${registry}/dirk-compat-image-${randomBytes(4).toString("hex")}`
const created: Array<string> = []
const docker = (...args: Array<string>): string => execFileSync("docker", args, { encoding: "utf8" })

afterAll(() => {
  for (const image of created) {
    try {
      execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
    } catch {
      // already gone (the same image under another name)
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("Dagger's client: images", () => {
  it("exports, imports and publishes", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/image.mjs"), scratch, repository])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)

    expect(out.export).toBe(path.join(scratch, "exported.tar"))
    expect(out.exportDocker).toBe(path.join(scratch, "exported-docker.tar"))
    for (const tar of [out.export, out.exportDocker]) {
      const id = /Loaded image ID: (sha256:[0-9a-f]+)/.exec(docker("load", "-i", tar))?.[1]
      expect(id).toBeDefined()
      created.push(id!)
      expect(docker("run", "--rm", id!)).toBe("published by dagger's client")
    }

    expect(out.tarballName).toBe("image.tar")
    expect(out.imported).toEqual({
      stdout: "published by dagger's client",
      env: "compat",
      workdir: "/app",
      entrypoint: ["cat"],
      defaultArgs: ["/app/message.txt"]
    })
    expect(out.importedHostFile).toBe("published by dagger's client")

    expect(out.publish).toMatch(new RegExp(`^${repository.replace(/\./g, "\\.")}:compat@sha256:[0-9a-f]{64}$`))
    const byDigest = `${repository}@${out.publish.split("@")[1]}`
    created.push(byDigest)
    docker("pull", byDigest)
    expect(docker("run", "--rm", byDigest)).toBe("published by dagger's client")
    expect(docker("run", "--rm", "--entrypoint", "sh", byDigest, "-c", "echo $APP_MODE; pwd")).toBe("compat\n/app\n")

    expect(out.publishRefused.error).toMatch(/cannot reach registry 127\.0\.0\.1:1/)
  })
})
