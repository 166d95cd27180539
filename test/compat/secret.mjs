// Secrets with Dagger's own npm client, unchanged, through `dirk run`: setSecret and secret(uri) (env://, file://,
// cmd://), withSecretVariable / withoutSecretVariable / withMountedSecret, scrubbing of stdout, stderr,
// combinedOutput and ExecError, plaintext(), name(), uri(), errors of bad URIs, and caching by value or cacheKey.
// The values come in $DIRK_TEST_SECRET (one line) and $DIRK_TEST_SECRET_FILE (a file holding a multi-line value);
// they are never printed: the output tells only whether values matched, and lists every ID the engine returned
// (test/integration/CompatSecret.test.ts checks that none holds a value). argv[2]: "main" or "cache".
import { connect } from "@dagger.io/dagger"
import * as fs from "node:fs"
import { step } from "./step.mjs"

const [mode, other] = process.argv.slice(2)
const value = process.env.DIRK_TEST_SECRET ?? ""
const fileValue = fs.readFileSync(process.env.DIRK_TEST_SECRET_FILE, "utf8")

await connect(async (client) => {
  const r = { ids: [] }
  const id = async (obj) => {
    const i = await obj.id()
    r.ids.push(i)
    return i
  }
  const base = client.container().from("dirk.local/busybox:latest")
  const sh = (ctr, script) => ctr.withExec(["sh", "-c", script])

  if (mode === "main") {
    const secret = client.setSecret("token", value)
    const multi = client.setSecret("multi", fileValue)
    await step(r, "secretId", () => id(secret))
    await step(r, "name", () => secret.name())
    await step(r, "uriOfSetSecret", () => secret.uri())
    await step(r, "plaintextMatches", async () => (await secret.plaintext()) === value)
    await step(r, "loadedPlaintextMatches", async () => (await client.loadSecretFromID(r.secretId).plaintext()) === value)

    const withVar = base.withSecretVariable("MY_SECRET", secret)
    await step(r, "containerId", () => id(withVar))
    await step(r, "stdout", () => sh(withVar, "echo -n $MY_SECRET").stdout())
    await step(r, "stdoutAround", () => sh(withVar, "echo \"before $MY_SECRET after\"").stdout())
    await step(r, "stderr", () => sh(withVar, "echo \"err: $MY_SECRET\" >&2").stderr())
    await step(r, "combined", () => sh(withVar, "echo \"out $MY_SECRET\"; sleep 0.2; echo \"err $MY_SECRET\" >&2").combinedOutput())
    await step(r, "padded", () => sh(withVar, "printf '  %s  \\n' \"$MY_SECRET\"").stdout())
    // two writes: the value split across them
    await step(r, "split", () => sh(withVar, "v=$MY_SECRET; printf '%s' \"${v%????????}\"; sleep 0.3; printf '%s' \"${v#${v%????????}}\"").stdout())
    await step(r, "execError", () => sh(withVar, "echo $MY_SECRET; echo $MY_SECRET >&2; exit 3").sync())
    await step(r, "envVariables", async () => Promise.all((await withVar.envVariables()).map((e) => e.name())))
    await step(r, "envVariable", () => withVar.envVariable("MY_SECRET"))
    await step(r, "lengthSeen", () => sh(withVar, "echo -n ${#MY_SECRET}").stdout())
    await step(r, "without", () => sh(withVar.withoutSecretVariable("MY_SECRET"), "printenv MY_SECRET; echo done").stdout())
    await step(r, "withoutId", () => id(withVar.withoutSecretVariable("MY_SECRET")))
    await step(r, "execId", () => id(sh(withVar, "echo -n $MY_SECRET")))

    const mounted = base.withMountedSecret("/run/secrets/token", secret)
    await step(r, "mountedId", () => id(mounted))
    await step(r, "mountedCat", () => mounted.withExec(["cat", "/run/secrets/token"]).stdout())
    await step(r, "mountedSameValue", () =>
      sh(mounted.withSecretVariable("V", secret), "[ \"$(cat /run/secrets/token)\" = \"$V\" ] && echo same").stdout())
    await step(r, "mountedStat", () => mounted.withExec(["stat", "-c", "%a %u %g", "/run/secrets/token"]).stdout())
    await step(r, "mountedOwner", () =>
      base.withMountedSecret("/s", secret, { owner: "1000:1001", mode: 0o440 }).withExec(["stat", "-c", "%a %u %g", "/s"]).stdout())
    await step(r, "mountedAsUser", () =>
      base.withMountedSecret("/s", secret, { owner: "1000" }).withUser("1000").withExec(["sh", "-c", "cat /s >/dev/null && echo readable"]).stdout())
    await step(r, "multiline", () => base.withMountedSecret("/m", multi).withExec(["cat", "/m"]).stdout())
    await step(r, "multilineVar", () => sh(base.withSecretVariable("M", multi), "echo \"[$M]\"").stdout())
    // the rootfs after an exec with a mounted secret does not hold it
    await step(r, "notInRootfs", () =>
      sh(mounted, "true").withoutMount("/run/secrets/token").withExec(["sh", "-c", "cat /run/secrets/token 2>/dev/null | wc -c"]).stdout())
    await step(r, "mounts", () => mounted.mounts())

    // secret(uri): resolved on the client's side
    const fromEnv = client.secret("env://DIRK_TEST_SECRET")
    await step(r, "envId", () => id(fromEnv))
    await step(r, "envName", () => fromEnv.name())
    await step(r, "envUri", () => fromEnv.uri())
    await step(r, "envPlaintext", async () => (await fromEnv.plaintext()) === value)
    await step(r, "envStdout", () => sh(base.withSecretVariable("S", fromEnv), "echo -n $S").stdout())
    const fromFile = client.secret(`file://${process.env.DIRK_TEST_SECRET_FILE}`)
    await step(r, "fileId", () => id(fromFile))
    await step(r, "filePlaintext", async () => (await fromFile.plaintext()) === fileValue)
    await step(r, "fileStdout", () => base.withMountedSecret("/f", fromFile).withExec(["cat", "/f"]).stdout())
    const fromCmd = client.secret("cmd://printf '%s\\n' \"$DIRK_TEST_SECRET\"")
    await step(r, "cmdId", () => id(fromCmd))
    await step(r, "cmdPlaintext", async () => (await fromCmd.plaintext()) === value)
    await step(r, "cmdStdout", () => sh(base.withSecretVariable("S", fromCmd), "echo $S").stdout())
    await step(r, "envMissing", () => client.secret("env://DIRK_TEST_NOT_SET_ANYWHERE").plaintext())
    await step(r, "fileMissing", () => client.secret("file:///nonexistent/dirk-secret").plaintext())
    await step(r, "cmdFails", () => client.secret("cmd://echo \"$DIRK_TEST_SECRET\"; exit 4").plaintext())
    await step(r, "unknownScheme", () => client.secret("vault://kv/token").plaintext())
    await step(r, "noScheme", () => client.secret("DIRK_TEST_SECRET").plaintext())
  }

  if (mode === "cache") {
    // argv[3]: a second value; the exec prints random bytes, so equal output means a cache hit
    const random = (s) => sh(base.withSecretVariable("S", s), "echo ${#S} >/dev/null; head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n'").stdout()
    await step(r, "first", () => random(client.setSecret("a", value)))
    await step(r, "sameValue", () => random(client.setSecret("b", value)))
    await step(r, "sameValueFromEnv", () => random(client.secret("env://DIRK_TEST_SECRET")))
    await step(r, "otherValue", () => random(client.setSecret("a", other)))
    await step(r, "cacheKeyA", () => random(client.secret("env://DIRK_TEST_SECRET", { cacheKey: "dirk-test-key" })))
    await step(r, "cacheKeyB", () => random(client.secret("env://DIRK_TEST_OTHER", { cacheKey: "dirk-test-key" })))
    const mountedRandom = (s) => base.withMountedSecret("/s", s).withExec(["sh", "-c", "head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n'"]).stdout()
    await step(r, "mountFirst", () => mountedRandom(client.setSecret("a", value)))
    await step(r, "mountSame", () => mountedRandom(client.setSecret("c", value)))
    await step(r, "mountOther", () => mountedRandom(client.setSecret("a", other)))
  }

  process.stdout.write(JSON.stringify(r, null, 2) + "\n")
})
