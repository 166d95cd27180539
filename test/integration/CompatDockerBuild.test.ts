/**
 * `Directory.dockerBuild` through Dagger's own npm client (`test/compat/dockerbuild.mjs` via `dirk run`): a
 * multi-stage Dockerfile with build arguments and a target, the config the result carries, execs on it, a custom
 * Dockerfile path, build failures, refused arguments; and nothing the builds made is left in Docker after the run.
 */
import { randomBytes } from "node:crypto"
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

  it("another platform and secrets are refused (documented), without the secret's value", () => {
    expect(out.platform.error).toMatch(/platform linux\/s390x is not supported/)
    expect(out.secrets.error).toBe("Directory.dockerBuild: secrets are not supported yet")
    expect(out.secrets.error).not.toContain("s3cr3t-value")
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
