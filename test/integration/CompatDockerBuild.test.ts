/**
 * `Directory.dockerBuild` through Dagger's own npm client (`test/compat/dockerbuild.mjs` via `dirk run`): a
 * multi-stage Dockerfile with build arguments and a target, the config the result carries, execs on it, a custom
 * Dockerfile path, build failures, refused arguments; and nothing the builds made is left in Docker after the run.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

const docker = (...args: Array<string>): Array<string> =>
  execFileSync("docker", args, { encoding: "utf8" }).trim().split("\n").filter((l) => l !== "")

describe("Dagger's client: Directory.dockerBuild", () => {
  it("builds Dockerfiles into containers and leaves nothing behind", async () => {
    const nonce = randomBytes(6).toString("hex")
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/dockerbuild.mjs"), nonce])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)

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
    expect(out.lastStage).toEqual(debugConfig)
    expect(out.lastStageExec).toBe("hi from the builder\na message from the context\n")
    expect(out.lastStageEntrypoint).toBe("a message from the context\n")
    expect(out.lastStageId).toEqual({ whoami: "1000\n", file: "hi from the builder\n" })

    // target: the named stage (the ARG's default applies without buildArgs)
    expect(out.target).toEqual({ ...debugConfig, appMode: "production", defaultArgs: ["greeting.txt"] })
    expect(out.targetExec).toBe("hello from the builder\n")

    // a Dockerfile path relative to the directory; the directory is the context
    expect(out.custom).toBe("a message from the context\nflavor=vanilla\n")
    expect(out.customInSubdir).toBe("flavor=\n")

    // a failing RUN: the step, the exit code in Dagger's words, the step's output
    expect(out.failing.error).toContain("docker build of fail.Dockerfile failed at step")
    expect(out.failing.error).toMatch(/RUN echo "about to fail"/)
    expect(out.failing.error).toContain("did not complete successfully: exit code: 7")
    expect(out.failing.error).toContain("about to fail")
    expect(out.failing.error).toContain("oops on stderr")
    expect(out.failing.error).not.toContain("never")

    expect(out.missing.error).toBe("dockerBuild: Dockerfile \"nope/Dockerfile\" not found in the directory (no such file)")
    expect(out.missingDefault.error).toContain("Dockerfile \"Dockerfile\" not found")
    expect(out.platform.error).toMatch(/platform linux\/s390x is not supported/)
    expect(out.secrets.error).toBe("Directory.dockerBuild: secrets are not supported yet")
    expect(out.secrets.error).not.toContain("s3cr3t-value")

    // while the engine ran: an image per successful build (debug, runtime, custom, the subdirectory build) and the
    // images execs committed on them (they inherit the Dockerfile's labels), each labelled as the engine's; no container
    expect(out.inDocker.containers).toEqual([])
    expect(new Set(out.inDocker.images.map((i: { id: string }) => i.id)).size).toBeGreaterThanOrEqual(4)
    for (const image of out.inDocker.images) {
      expect(image.labels["dirk.engine"]).toBe("1")
      expect(image.labels["dirk.owner"]).toMatch(/^dirk-[0-9a-f]{12}$/)
    }

    // after the run: all of it is gone
    const filter = `label=dirk.test.dockerbuild=${nonce}`
    expect(docker("images", "-a", "-q", "--filter", filter)).toEqual([])
    expect(docker("ps", "-a", "-q", "--filter", filter)).toEqual([])
    for (const image of out.inDocker.images) {
      expect(docker("images", "-a", "-q", "--no-trunc").includes(image.id)).toBe(false)
    }
  })
})
