/**
 * The root (Query) fields through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`:
 * test/compat/query.mjs prints what each step returned. Also what `dirk run` gives the client (the session variables)
 * and takes from it (its exit code).
 */
import { beforeAll, describe, expect, it } from "vitest"
import { dirk } from "../support/cli.js"
import { nativePlatform, runCompat, type Steps } from "../support/compat.js"

let out: Steps

beforeAll(async () => {
  out = await runCompat("query.mjs")
})

describe("Query, through Dagger's client", () => {
  it("version: the Dagger API version dirk implements", () => {
    expect(out.version).toBe("v0.21.8")
  })

  it("defaultPlatform: the engine's native platform", () => {
    expect(out.defaultPlatform).toBe(nativePlatform())
  })

  it("container: a scratch container on the native platform, with no config and an empty rootfs", () => {
    expect(out.container).toEqual({ platform: nativePlatform(), entrypoint: [], env: 0, rootfs: [] })
  })

  it("container(platform): the native platform is accepted; another one is an error naming it (documented: native only)", () => {
    expect(out.containerPlatform).toBe(nativePlatform())
    expect(out.containerOtherPlatform.error).toContain("linux/s390x")
  })

  it("directory: empty, named /", () => {
    expect(out.directory).toEqual({ entries: [], name: "/" })
  })

  it("file(name, contents): default mode 0644", () => {
    expect(out.file).toEqual({ name: "hello.txt", contents: "hello\n", size: 6, permissions: 0o644 })
  })

  it("file(permissions)", () => {
    expect(out.filePermissions).toBe(0o755)
  })

  it("file with a / in its name is an error", () => {
    expect(out.fileWithDirectory.error).toContain("must not contain a directory")
  })
})

describe("setSecret and Secret, through Dagger's client", () => {
  it("Secret.name and Secret.plaintext", () => {
    expect(out.secretName).toBe("token")
    expect(out.secretPlaintext).toBe("s3cr3t")
  })

  it("Secret.id: without the plaintext; equal name and value give an equal id, another value or name another", () => {
    expect(out.secretIds).toEqual({
      isString: true,
      holdsPlaintext: false,
      sameValueSameId: true,
      otherValueOtherId: true,
      otherNameOtherId: true
    })
  })

  it("loadSecretFromID gives the secret back in the session that set it", () => {
    expect(out.secretLoaded).toEqual({ name: "token", plaintext: "s3cr3t" })
  })

  it("a plaintext of 128000 bytes is accepted, one more is an error", () => {
    expect(out.secretMaxLength).toBe(128000)
    expect(out.secretTooLong.error).toContain("128000")
  })
})

describe("dirk run", () => {
  it("sets DAGGER_SESSION_PORT and DAGGER_SESSION_TOKEN and exits with the command's exit code", async () => {
    const r = await dirk(["run", "--", "sh", "-c", "test -n \"$DAGGER_SESSION_PORT\" && test -n \"$DAGGER_SESSION_TOKEN\" && exit 42"])
    expect(r.code).toBe(42)
  })
})
