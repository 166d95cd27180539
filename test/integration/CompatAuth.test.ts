/**
 * Registry credentials through Dagger's own npm client (`test/compat/auth.mjs` via `dirk run`), against a second
 * local registry that requires a password (started and stopped here): setSecret, withRegistryAuth,
 * withoutRegistryAuth, `$DOCKER_CONFIG/config.json`, a missing credential helper. What was published, `docker pull`
 * (after `docker login`) runs. The password appears in no output of dirk and in no ID.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AuthRegistry, startAuthRegistry } from "../support/authRegistry.js"
import { dirk, repoRoot } from "../support/cli.js"

let registry: AuthRegistry
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-auth-"))
const repository = `dirk-compat-auth-${randomBytes(4).toString("hex")}`

/** A `DOCKER_CONFIG` directory holding `config`. */
const dockerConfig = (name: string, config: unknown): string => {
  const dir = path.join(scratch, name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config))
  return dir
}

const runScript = async (mode: string, config: string, ...extra: Array<string>) => {
  const r = await dirk(
    ["run", "--", process.execPath, path.join(repoRoot, "test/compat/auth.mjs"), mode, registry.address, repository, registry.username, ...extra],
    { env: { DOCKER_CONFIG: config, DIRK_TEST_REGISTRY_PASSWORD: registry.password } }
  )
  expect(r.code, r.stderr).toBe(0)
  // the password is in no output of dirk (nor of the script, which prints only whether values matched)
  expect(r.stdout).not.toContain(registry.password)
  expect(r.stderr).not.toContain(registry.password)
  return JSON.parse(r.stdout) as Record<string, any>
}

/** The ID's text and the JSON it encodes. */
const idTexts = (id: string): Array<string> => [id, Buffer.from(id.replace(/^dirk1\./, ""), "base64url").toString("utf8")]

beforeAll(async () => {
  registry = await startAuthRegistry()
})

afterAll(async () => {
  await registry?.stop()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("Dagger's client: registry credentials", () => {
  it("withRegistryAuth: publish and from against a registry that wants a password; without it, the registry's refusal", async () => {
    const out = await runScript("auth", dockerConfig("empty", {}))
    const refusal = /registry 127\.0\.0\.1:\d+ refused starting an upload to dirk-compat-auth-[0-9a-f]+: 401 UNAUTHORIZED: authentication required/

    expect(out.publishNoAuth.error).toMatch(refusal)
    expect(out.secretName).toBe("registry-password")
    expect(out.plaintextMatches).toBe(true)
    expect(out.loadedPlaintextMatches).toBe(true)
    expect(out.sameSecretSameId).toBe(true)
    expect(out.otherValueOtherId).toBe(true)

    const published = new RegExp(`^${registry.address.replace(/\./g, "\\.")}/${repository}:v1@sha256:[0-9a-f]{64}$`)
    expect(out.publishAuth).toMatch(published)
    expect(out.publishAuthImageAddress).toMatch(/:v2@sha256:[0-9a-f]{64}$/)
    expect(out.publishAuthUrl).toMatch(/:v3@sha256:[0-9a-f]{64}$/)
    expect(out.fromThenPublish).toMatch(/:v4@sha256:[0-9a-f]{64}$/)
    for (const key of ["publishWrongPassword", "publishOtherHost", "publishWithoutAuth"]) {
      expect(out[key]?.error, key).toMatch(refusal)
    }
    expect(out.badAddress.error).toMatch(/withRegistryAuth: invalid registry address ""/)

    expect(out.fromNoAuth.error).toMatch(/image 127\.0\.0\.1:\d+\/dirk-compat-auth-[0-9a-f]+:v1 .*no basic auth credentials/)
    expect(out.fromWithoutAuth.error).toMatch(/:v2 .*no basic auth credentials/)
    expect(out.fromAuth).toBe("v1")

    // what was published is there for Docker's own client, once logged in
    const byDigest = `${registry.address}/${repository}@${out.publishAuth.split("@")[1]}`
    const anonymous = await fetch(`http://${registry.address}/v2/${repository}/manifests/v1`)
    expect(anonymous.status).toBe(401)
    const loggedIn = path.join(scratch, "logged-in")
    fs.mkdirSync(loggedIn)
    execFileSync("docker", ["--config", loggedIn, "login", "-u", registry.username, "--password-stdin", registry.address], {
      input: registry.password,
      stdio: ["pipe", "ignore", "ignore"]
    })
    execFileSync("docker", ["--config", loggedIn, "pull", byDigest], { stdio: "ignore" })
    expect(execFileSync("docker", ["run", "--rm", byDigest], { encoding: "utf8" })).toBe("v1")

    // IDs name the secret by a keyed hash only
    for (const key of ["secretId", "publishAuthId", "fromAuthId"]) {
      expect(out[key], key).toMatch(/^dirk1\./)
      for (const text of idTexts(out[key])) expect(text).not.toContain(registry.password)
    }
    expect(idTexts(out.secretId)[1]).toContain("hmac-sha256:")

    // another session (here: another engine too) never set that secret
    const foreign = await runScript("foreign", dockerConfig("empty", {}), out.secretId)
    expect(foreign.plaintext.error).toMatch(/secret "registry-password" was not set in this session/)
    expect(foreign.publish.error).toMatch(/secret "registry-password" was not set in this session/)
  })

  it("credentials from $DOCKER_CONFIG/config.json (auths) serve publish and from", async () => {
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64")
    const out = await runScript("config", dockerConfig("auths", { auths: { [registry.address]: { auth } } }))
    expect(out.publish).toMatch(new RegExp(`/${repository}:config@sha256:[0-9a-f]{64}$`))
    expect(out.from).toBe("config")
  })

  it("a credential helper that does not exist means no credentials, not a crash", async () => {
    const out = await runScript("helper", dockerConfig("helper", { auths: { [registry.address]: {} }, credsStore: "dirk-test-nonexistent" }))
    expect(out.publish.error).toMatch(/401 UNAUTHORIZED: authentication required/)
    expect(out.from.error).toMatch(/no basic auth credentials/)
    expect(out.localImage).toBe("local image")
  })
})
