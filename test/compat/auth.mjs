// Registry credentials with Dagger's own npm client, unchanged, through `dirk run`: setSecret, withRegistryAuth and
// withoutRegistryAuth against a registry that requires a password, and the Docker client's config.
// argv[2]: the mode ("auth", "config", "helper"); argv[3]: the registry (host:port); argv[4]: the repository;
// argv[5]: the user name. The password comes in $DIRK_TEST_REGISTRY_PASSWORD (never printed: the output tells only
// whether values matched). Prints one JSON object; test/integration/CompatImage.test.ts checks it.
import { connect } from "@dagger.io/dagger"
import { step } from "./step.mjs"

const [mode, registry, repository, username] = process.argv.slice(2)
const password = process.env.DIRK_TEST_REGISTRY_PASSWORD ?? ""
const at = (tag) => `${registry}/${repository}:${tag}`

await connect(async (client) => {
  const r = {}
  const image = (text) =>
    client.container().from("dirk.local/busybox:latest").withNewFile("/msg.txt", text).withDefaultArgs(["cat", "/msg.txt"])
  const cat = (ctr) => ctr.withExec(["cat", "/msg.txt"]).stdout()

  if (mode === "auth") {
    // nothing given: the registry's refusal
    await step(r, "publishNoAuth", () => image("v1").publish(at("v1")))

    const secret = client.setSecret("registry-password", password)
    await step(r, "secretId", () => secret.id())
    await step(r, "secretName", () => secret.name())
    await step(r, "plaintextMatches", async () => (await secret.plaintext()) === password)
    await step(r, "sameSecretSameId", async () => (await client.setSecret("registry-password", password).id()) === r.secretId)
    await step(r, "otherValueOtherId", async () => (await client.setSecret("registry-password", password + "x").id()) !== r.secretId)
    await step(r, "loadedPlaintextMatches", async () => (await client.loadSecretFromID(r.secretId).plaintext()) === password)

    await step(r, "publishAuth", () => image("v1").withRegistryAuth(registry, username, secret).publish(at("v1")))
    await step(r, "publishAuthId", () => image("v1").withRegistryAuth(registry, username, secret).id())
    // the address may be an image address or a URL; only its host counts
    await step(r, "publishAuthImageAddress", () =>
      image("v2").withRegistryAuth(`${registry}/${repository}:whatever`, username, secret).publish(at("v2")))
    await step(r, "publishAuthUrl", () =>
      image("v3").withRegistryAuth(`http://${registry}/`, username, secret).publish(at("v3")))
    await step(r, "publishWrongPassword", () =>
      image("v1").withRegistryAuth(registry, username, client.setSecret("wrong", "not-the-password")).publish(at("v1")))
    await step(r, "publishOtherHost", () =>
      image("v1").withRegistryAuth("registry.example.com", username, secret).publish(at("v1")))
    await step(r, "publishWithoutAuth", () =>
      image("v1").withRegistryAuth(registry, username, secret).withoutRegistryAuth(registry).publish(at("v1")))
    await step(r, "badAddress", () => client.container().withRegistryAuth("", username, secret).id())

    // pulls: the ones that must fail first, while the images are not in Docker's local store yet
    await step(r, "fromNoAuth", () => cat(client.container().from(at("v1"))))
    await step(r, "fromWithoutAuth", () =>
      cat(client.container().withRegistryAuth(registry, username, secret).withoutRegistryAuth(registry).from(at("v2"))))
    await step(r, "fromAuth", () => cat(client.container().withRegistryAuth(registry, username, secret).from(at("v1"))))
    await step(r, "fromAuthId", () => client.container().withRegistryAuth(registry, username, secret).from(at("v1")).id())
    // credentials are carried over by `from`: the pulled image publishes back with them
    await step(r, "fromThenPublish", () =>
      client.container().withRegistryAuth(registry, username, secret).from(at("v2")).publish(at("v4")))
  }

  if (mode === "config") {
    // credentials from $DOCKER_CONFIG/config.json only
    await step(r, "publish", () => image("config").publish(at("config")))
    await step(r, "from", () => cat(client.container().from(at("config"))))
  }

  if (mode === "helper") {
    // a credential helper that does not exist: no credentials (the registry refuses), not a crash
    await step(r, "publish", () => image("helper").publish(at("helper")))
    await step(r, "from", () => cat(client.container().from(at("helper"))))
    await step(r, "localImage", () => cat(image("local image")))
  }

  if (mode === "foreign") {
    // a Secret ID set in another session (argv[6]) is refused here
    const id = process.argv[6]
    await step(r, "plaintext", () => client.loadSecretFromID(id).plaintext())
    await step(r, "publish", () =>
      image("foreign").withRegistryAuth(registry, username, client.loadSecretFromID(id)).publish(at("foreign")))
  }
  process.stdout.write(JSON.stringify(r))
})
