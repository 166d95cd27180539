/**
 * `Directory.dockerBuild` through Dagger's own npm client (`test/compat/dockerbuild.mjs` via `dirk run`): a
 * multi-stage Dockerfile with build arguments and a target, the config the result carries, execs on it, a custom
 * Dockerfile path, build failures, refused arguments; and nothing the builds made is left in Docker after the run.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { beforeAll, describe, expect, it } from "vitest"
import { docker, runCompat, type Steps } from "../support/compat.js"

const nonce = randomBytes(6).toString("hex")
let out: Steps

beforeAll(async () => {
  out = await runCompat("dockerbuild.mjs", [nonce])
})

const lines = (...args: Array<string>): Array<string> => docker(...args).trim().split("\n").filter((l) => l !== "")

// the last stage, with a build argument: its whole image config, and no dirk.* label in it
const debugConfig = {
  appMode: "debug",
  appHome: "/srv/app",
  workdir: "/srv/app",
  user: "1000:1000",
  entrypoint: ["cat"],
  defaultArgs: ["message.txt"],
  stageLabel: "runtime",
  engineLabel: null,
  ports: ["8080/TCP", "9090/UDP"]
}

describe("Directory.dockerBuild, through Dagger's client", () => {
  it("the last stage's config: env, workdir, user, entrypoint, cmd, labels (no engine label), exposed ports", () => {
    expect(out.lastStage).toEqual(debugConfig)
  })

  it("build arguments reach RUN; COPY from the context and from another stage", () => {
    expect(out.lastStageExec).toBe("hi from the builder\na message from the context\n")
  })

  it("the built entrypoint and cmd run with useEntrypoint", () => {
    expect(out.lastStageEntrypoint).toBe("a message from the context\n")
  })

  it("the built container loads back from its ID: user, rootfs", () => {
    expect(out.lastStageId).toEqual({ whoami: "1000\n", file: "hi from the builder\n" })
  })

  it("target: that stage, the ARG's default without buildArgs", () => {
    expect(out.target).toEqual({ ...debugConfig, appMode: "production", defaultArgs: ["greeting.txt"] })
    expect(out.targetExec).toBe("hello from the builder\n")
  })

  it("dockerfile: a path in the directory, which is the context", () => {
    expect(out.custom).toBe("a message from the context\nflavor=vanilla\n")
    expect(out.customInSubdir).toBe("flavor=\n")
  })

  it("a failing RUN: the step, the exit code in Dagger's words, the step's output", () => {
    expect(out.failing.error).toContain("docker build of fail.Dockerfile failed at step")
    expect(out.failing.error).toMatch(/RUN echo "about to fail"/)
    expect(out.failing.error).toContain("did not complete successfully: exit code: 7")
    expect(out.failing.error).toContain("about to fail")
    expect(out.failing.error).toContain("oops on stderr")
    expect(out.failing.error).not.toContain("never")
  })

  it("a missing Dockerfile is an error naming its path", () => {
    expect(out.missing.error).toBe("dockerBuild: Dockerfile \"nope/Dockerfile\" not found in the directory (no such file)")
    expect(out.missingDefault.error).toContain("Dockerfile \"Dockerfile\" not found")
  })

  it("another platform is refused (documented)", () => {
    expect(out.platform.error).toMatch(/platform linux\/s390x is not supported/)
  })

  it("secrets: RUN --mount=type=secret,id=<name> reads the value (default path and a target, after a slow step: the session stays alive)", () => {
    expect(out.secrets).toBe("ok\n12\nxxxxxxxxxxxx\n")
  })

  it("secrets: the value is in no layer nor config of the built image", () => {
    const tar = path.join(os.tmpdir(), `dirk-dockerbuild-secret-${nonce}.tar`)
    try {
      expect(out.secretsExport).toBe(tar)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-dockerbuild-secret-"))
      try {
        execFileSync("tar", ["-xf", tar, "-C", dir])
        // every blob (layers are gzip-compressed: looked at unpacked too), the index and the manifest
        const blobs = (fs.readdirSync(dir, { recursive: true }) as Array<string>)
          .map((f) => path.join(dir, f))
          .filter((f) => fs.statSync(f).isFile())
        expect(blobs.length).toBeGreaterThan(3)
        for (const f of blobs) {
          const bytes = fs.readFileSync(f)
          const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes
          expect(plain.includes(Buffer.from("s3cr3t-value")), f).toBe(false)
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    } finally {
      fs.rmSync(tar, { force: true })
    }
  })

  it("secrets: a failing step's output has the value replaced by ***; a required secret not given is an error naming it", () => {
    expect(out.secretsFailing.error).toContain("the token is ***")
    expect(out.secretsFailing.error).toContain("exit code: 3")
    expect(JSON.stringify(out)).not.toContain("s3cr3t-value")
    expect(out.secretsMissing.error).toContain("docker build of secret-missing.Dockerfile")
    expect(out.secretsMissing.error).toMatch(/secret other/)
  })

  it("while the engine runs: the images it built and committed, labelled as the engine's; no container", () => {
    expect(out.inDocker.containers).toEqual([])
    expect(new Set(out.inDocker.images.map((i: { id: string }) => i.id)).size).toBeGreaterThanOrEqual(4)
    for (const image of out.inDocker.images) {
      expect(image.labels["dirk.engine"]).toBe("1")
      expect(image.labels["dirk.owner"]).toMatch(/^dirk-[0-9a-f]{12}$/)
    }
  })

  it("after the run: nothing the builds made is left in Docker", () => {
    const filter = `label=dirk.test.dockerbuild=${nonce}`
    expect(lines("images", "-a", "-q", "--filter", filter)).toEqual([])
    expect(lines("ps", "-a", "-q", "--filter", filter)).toEqual([])
    const all = lines("images", "-a", "-q", "--no-trunc")
    for (const image of out.inDocker.images) expect(all.includes(image.id)).toBe(false)
  })
})
