/**
 * Images through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/image.mjs
 * (export, asTarball, import, publish, from of what was published; `docker load` runs what was exported and
 * `docker pull` what was published) and test/compat/auth.mjs (setSecret, withRegistryAuth, withoutRegistryAuth,
 * `$DOCKER_CONFIG/config.json`, a missing credential helper) against a second local registry that requires a password,
 * started and stopped here. The password appears in no output of dirk and in no ID.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AuthRegistry, startAuthRegistry } from "../support/authRegistry.js"
import { dirk, repoRoot } from "../support/cli.js"
import { docker, runCompat, type Steps } from "../support/compat.js"
import { registry } from "../support/docker.js"

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-image-"))
const repository = `${registry}/dirk-compat-image-${randomBytes(4).toString("hex")}`
const authRepository = `dirk-compat-auth-${randomBytes(4).toString("hex")}`
const created: Array<string> = []
let out: Steps
let authRegistry: AuthRegistry
let auth: Steps
let config: Steps
let helper: Steps
let foreign: Steps

/** A `DOCKER_CONFIG` directory holding `content`. */
const dockerConfig = (name: string, content: unknown): string => {
  const dir = path.join(scratch, name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(content))
  return dir
}

/** test/compat/auth.mjs in `mode`; the password is in no output. */
const runAuth = async (mode: string, configDir: string, ...extra: Array<string>): Promise<Steps> => {
  const r = await dirk(
    [
      "run", "--", process.execPath, path.join(repoRoot, "test/compat/auth.mjs"),
      mode, authRegistry.address, authRepository, authRegistry.username, ...extra
    ],
    { env: { DOCKER_CONFIG: configDir, DIRK_TEST_REGISTRY_PASSWORD: authRegistry.password } }
  )
  if (r.code !== 0) throw new Error(`auth.mjs ${mode} exited with ${r.code}: ${r.stderr.slice(-4000)}`)
  if (r.stdout.includes(authRegistry.password) || r.stderr.includes(authRegistry.password)) {
    throw new Error(`auth.mjs ${mode}: the password is in dirk's output`)
  }
  return JSON.parse(r.stdout) as Steps
}

/** The ID's text and the JSON it encodes. */
const idTexts = (id: string): Array<string> => [id, Buffer.from(id.replace(/^dirk1\./, ""), "base64url").toString("utf8")]

/** `docker load -i tar`: the loaded image's ID (removed after the tests). */
const load = (tar: string): string => {
  const id = /Loaded image ID: (sha256:[0-9a-f]+)/.exec(docker("load", "-i", tar))?.[1]
  if (id === undefined) throw new Error(`docker load -i ${tar} printed no image ID`)
  created.push(id)
  return id
}

const loadAndRun = (tar: string): string => docker("run", "--rm", load(tar))

beforeAll(async () => {
  authRegistry = await startAuthRegistry()
  const basic = Buffer.from(`${authRegistry.username}:${authRegistry.password}`).toString("base64")
  ;[out, auth, config, helper] = await Promise.all([
    runCompat("image.mjs", [scratch, repository]),
    runAuth("auth", dockerConfig("empty", {})),
    runAuth("config", dockerConfig("auths", { auths: { [authRegistry.address]: { auth: basic } } })),
    runAuth("helper", dockerConfig("helper", { auths: { [authRegistry.address]: {} }, credsStore: "dirk-test-nonexistent" }))
  ])
  // another session (here: another engine too) never set that secret
  foreign = await runAuth("foreign", dockerConfig("empty", {}), auth.secretId)
})

afterAll(async () => {
  for (const image of created) {
    try {
      execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
    } catch {
      // already gone (the same image under another name)
    }
  }
  await authRegistry?.stop()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("Container.export and asTarball, through Dagger's client", () => {
  it("export returns the absolute path; docker load runs the image (OCI, gzip)", () => {
    expect(out.export).toBe(path.join(scratch, "exported.tar"))
    expect(loadAndRun(out.export)).toBe("published by dagger's client")
  })

  it("export with Docker media types, uncompressed: docker load runs it", () => {
    expect(out.exportDocker).toBe(path.join(scratch, "exported-docker.tar"))
    expect(loadAndRun(out.exportDocker)).toBe("published by dagger's client")
  })

  it("export: a relative path is relative to the client's working directory, parents created", () => {
    expect(out.exportRelative).toBe(path.join(scratch, "sub", "relative.tar"))
    expect(fs.statSync(out.exportRelative).size).toBeGreaterThan(0)
  })

  it("export onto an existing directory is an error", () => {
    expect(out.exportOntoDirectory.error).toMatch(/a-dir.*is a directory/)
  })

  it("export with a file on the way is an error saying that a parent is not a directory", () => {
    expect(out.exportUnderFile.error).toMatch(/plain.*not a directory/)
  })

  it("asTarball: a File named image.tar, byte-identical to export; docker load runs it", () => {
    expect(out.tarball).toEqual({ name: "image.tar", exported: path.join(scratch, "as-tarball.tar") })
    expect(out.tarballsEqual).toBe(true)
    expect(loadAndRun(out.tarball.exported)).toBe("published by dagger's client")
  })

  it("the loaded image carries the config: env, workdir, label, exposed port", () => {
    const id = load(path.join(scratch, "as-tarball.tar"))
    const inspected = JSON.parse(docker("image", "inspect", "--format", "{{json .Config}}", id))
    expect(inspected.Env).toContain("APP_MODE=compat")
    expect(inspected.WorkingDir).toBe("/app")
    expect(inspected.Labels).toMatchObject({ "org.example.compat": "yes" })
    expect(Object.keys(inspected.ExposedPorts ?? {})).toEqual(["8080/tcp"])
    expect({ entrypoint: inspected.Entrypoint, cmd: inspected.Cmd }).toEqual({ entrypoint: ["cat"], cmd: ["/app/message.txt"] })
  })
})

describe("Container.import, through Dagger's client", () => {
  it("import of asTarball: the rootfs and the config", () => {
    expect(out.imported).toEqual({
      stdout: "published by dagger's client",
      env: "compat",
      label: "yes",
      workdir: "/app",
      entrypoint: ["cat"],
      defaultArgs: ["/app/message.txt"]
    })
  })

  it("import of a host file", () => {
    expect(out.importedHostFile).toBe("published by dagger's client")
  })
})

describe("Container.publish, through Dagger's client", () => {
  it("returns the address with the manifest digest; docker pull runs it", () => {
    expect(out.publish).toMatch(new RegExp(`^${repository.replace(/\./g, "\\.")}:compat@sha256:[0-9a-f]{64}$`))
    const byDigest = `${repository}@${out.publish.split("@")[1]}`
    created.push(byDigest)
    docker("pull", byDigest)
    expect(docker("run", "--rm", byDigest)).toBe("published by dagger's client")
    expect(docker("run", "--rm", "--entrypoint", "sh", byDigest, "-c", "echo $APP_MODE; pwd")).toBe("compat\n/app\n")
  })

  it("from of the published address: imageRef pins the published digest; the image runs", () => {
    expect(out.fromPublished).toEqual({ imageRef: out.publish, run: "published by dagger's client", env: "compat", workdir: "/app" })
  })

  it("a registry that cannot be reached: an error naming it", () => {
    expect(out.publishRefused.error).toMatch(/cannot reach registry 127\.0\.0\.1:1/)
  })
})

describe("withRegistryAuth and setSecret against a registry that wants a password, through Dagger's client", () => {
  const refusal =
    /registry 127\.0\.0\.1:\d+ refused starting an upload to dirk-compat-auth-[0-9a-f]+: 401 UNAUTHORIZED: authentication required/

  it("publish without credentials: the registry's refusal", () => {
    expect(auth.publishNoAuth.error).toMatch(refusal)
  })

  it("setSecret: name, plaintext, IDs equal for equal values, loadSecretFromID", () => {
    expect(auth.secretName).toBe("registry-password")
    expect(auth.plaintextMatches).toBe(true)
    expect(auth.loadedPlaintextMatches).toBe(true)
    expect(auth.sameSecretSameId).toBe(true)
    expect(auth.otherValueOtherId).toBe(true)
  })

  it("publish with withRegistryAuth (a host, an image address, a URL): the digested address", () => {
    expect(auth.publishAuth).toMatch(new RegExp(`^${authRegistry.address.replace(/\./g, "\\.")}/${authRepository}:v1@sha256:[0-9a-f]{64}$`))
    expect(auth.publishAuthImageAddress).toMatch(/:v2@sha256:[0-9a-f]{64}$/)
    expect(auth.publishAuthUrl).toMatch(/:v3@sha256:[0-9a-f]{64}$/)
  })

  it("a wrong password, another host's credentials, withoutRegistryAuth: the registry's refusal", () => {
    for (const key of ["publishWrongPassword", "publishOtherHost", "publishWithoutAuth"]) {
      expect(auth[key]?.error, key).toMatch(refusal)
    }
  })

  it("an invalid registry address is an error", () => {
    expect(auth.badAddress.error).toMatch(/withRegistryAuth: invalid registry address ""/)
  })

  it("from: without credentials the daemon's refusal, with them the image", () => {
    expect(auth.fromNoAuth.error).toMatch(/image 127\.0\.0\.1:\d+\/dirk-compat-auth-[0-9a-f]+:v1 .*no basic auth credentials/)
    expect(auth.fromWithoutAuth.error).toMatch(/:v2 .*no basic auth credentials/)
    expect(auth.fromAuth).toBe("v1")
  })

  it("credentials are carried over by from: the pulled image publishes back", () => {
    expect(auth.fromThenPublish).toMatch(/:v4@sha256:[0-9a-f]{64}$/)
  })

  it("what was published is there for Docker's own client once logged in", () => {
    const byDigest = `${authRegistry.address}/${authRepository}@${auth.publishAuth.split("@")[1]}`
    const loggedIn = path.join(scratch, "logged-in")
    fs.mkdirSync(loggedIn, { recursive: true })
    execFileSync("docker", ["--config", loggedIn, "login", "-u", authRegistry.username, "--password-stdin", authRegistry.address], {
      input: authRegistry.password,
      stdio: ["pipe", "ignore", "ignore"]
    })
    execFileSync("docker", ["--config", loggedIn, "pull", byDigest], { stdio: "ignore" })
    expect(docker("run", "--rm", byDigest)).toBe("v1")
  })

  it("anonymous reads are refused by the registry", async () => {
    const anonymous = await fetch(`http://${authRegistry.address}/v2/${authRepository}/manifests/v1`)
    expect(anonymous.status).toBe(401)
  })

  it("IDs name the secret by a keyed hash only, never the password", () => {
    for (const key of ["secretId", "publishAuthId", "fromAuthId"]) {
      expect(auth[key], key).toMatch(/^dirk1\./)
      for (const text of idTexts(auth[key])) expect(text).not.toContain(authRegistry.password)
    }
    expect(idTexts(auth.secretId)[1]).toContain("hmac-sha256:")
  })

  it("a Secret ID from another session is refused", () => {
    expect(foreign.plaintext.error).toMatch(/secret "registry-password" was not set in this session/)
    expect(foreign.publish.error).toMatch(/secret "registry-password" was not set in this session/)
  })

  it("credentials from $DOCKER_CONFIG/config.json (auths) serve publish and from", () => {
    expect(config.publish).toMatch(new RegExp(`/${authRepository}:config@sha256:[0-9a-f]{64}$`))
    expect(config.from).toBe("config")
  })

  it("a credential helper that does not exist means no credentials, not a crash", () => {
    expect(helper.publish.error).toMatch(/401 UNAUTHORIZED: authentication required/)
    expect(helper.from.error).toMatch(/no basic auth credentials/)
    expect(helper.localImage).toBe("local image")
  })
})
