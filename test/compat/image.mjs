// Images with Dagger's own npm client, unchanged, through `dirk run`: export, asTarball → import, publish.
// argv[2]: a scratch directory; argv[3]: the registry repository to publish to. Prints one JSON object;
// test/integration/CompatImage.test.ts checks it (and runs what was exported and published with docker).
import { connect, ImageLayerCompression, ImageMediaTypes } from "@dagger.io/dagger"
import * as path from "node:path"
import { step } from "./step.mjs"

const [scratch, repository] = process.argv.slice(2)


await connect(async (client) => {
  const r = {}
  const image = client
    .container()
    .from("dirk.local/busybox:latest")
    .withNewFile("/app/message.txt", "published by dagger's client")
    .withEnvVariable("APP_MODE", "compat")
    .withWorkdir("/app")
    .withEntrypoint(["cat"])
    .withDefaultArgs(["/app/message.txt"])
  await step(r, "export", () => image.export(path.join(scratch, "exported.tar")))
  await step(r, "exportDocker", () =>
    image.export(path.join(scratch, "exported-docker.tar"), {
      forcedCompression: ImageLayerCompression.Uncompressed,
      mediaTypes: ImageMediaTypes.DockerMediaTypes
    }))
  await step(r, "tarballName", () => image.asTarball().name())
  await step(r, "imported", async () => {
    const back = client.container().import_(image.asTarball())
    return {
      stdout: await back.withExec(["cat", "/app/message.txt"]).stdout(),
      env: await back.envVariable("APP_MODE"),
      workdir: await back.workdir(),
      entrypoint: await back.entrypoint(),
      defaultArgs: await back.defaultArgs()
    }
  })
  await step(r, "importedHostFile", () =>
    client.container().import_(client.host().file(path.join(scratch, "exported.tar"))).withExec(["cat", "message.txt"]).stdout())
  await step(r, "publish", () => image.publish(`${repository}:compat`))
  await step(r, "publishRefused", () => image.publish("127.0.0.1:1/nothing:latest"))
  process.stdout.write(JSON.stringify(r))
})
