// Images with Dagger's own npm client, unchanged, through `dirk run`: export, asTarball, import, publish, and `from`
// of what was published. argv[2]: a scratch directory; argv[3]: the registry repository to publish to. Prints one JSON
// object; test/integration/CompatImage.test.ts checks it (and runs with docker what was exported and published).
import { connect, ImageLayerCompression, ImageMediaTypes } from "@dagger.io/dagger"
import * as fs from "node:fs"
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
    .withLabel("org.example.compat", "yes")
    .withExposedPort(8080)
    .withWorkdir("/app")
    .withEntrypoint(["cat"])
    .withDefaultArgs(["/app/message.txt"])
  await step(r, "export", () => image.export(path.join(scratch, "exported.tar")))
  await step(r, "exportDocker", () =>
    image.export(path.join(scratch, "exported-docker.tar"), {
      forcedCompression: ImageLayerCompression.Uncompressed,
      mediaTypes: ImageMediaTypes.DockerMediaTypes
    }))
  await step(r, "exportRelative", () => image.export(path.relative(process.cwd(), path.join(scratch, "sub", "relative.tar"))))
  await step(r, "exportOntoDirectory", () => {
    fs.mkdirSync(path.join(scratch, "a-dir"))
    return image.export(path.join(scratch, "a-dir"))
  })
  await step(r, "exportUnderFile", () => {
    fs.writeFileSync(path.join(scratch, "plain"), "x")
    return image.export(path.join(scratch, "plain", "image.tar"))
  })
  await step(r, "tarball", async () => {
    const tarball = image.asTarball()
    return { name: await tarball.name(), exported: await tarball.export(path.join(scratch, "as-tarball.tar")) }
  })
  await step(r, "tarballsEqual", () =>
    fs.readFileSync(path.join(scratch, "as-tarball.tar")).equals(fs.readFileSync(path.join(scratch, "exported.tar"))))
  await step(r, "imported", async () => {
    const back = client.container().import_(image.asTarball())
    return {
      stdout: await back.withExec(["cat", "/app/message.txt"]).stdout(),
      env: await back.envVariable("APP_MODE"),
      label: await back.label("org.example.compat"),
      workdir: await back.workdir(),
      entrypoint: await back.entrypoint(),
      defaultArgs: await back.defaultArgs()
    }
  })
  await step(r, "importedHostFile", () =>
    client.container().import_(client.host().file(path.join(scratch, "exported.tar"))).withExec(["cat", "message.txt"]).stdout())
  await step(r, "publish", () => image.publish(`${repository}:compat`))
  await step(r, "fromPublished", async () => {
    const pulled = client.container().from(`${repository}:compat`)
    return {
      imageRef: await pulled.imageRef(),
      run: await pulled.withExec([], { useEntrypoint: true }).stdout(),
      env: await pulled.envVariable("APP_MODE"),
      workdir: await pulled.workdir()
    }
  })
  await step(r, "publishRefused", () => image.publish("127.0.0.1:1/nothing:latest"))
  process.stdout.write(JSON.stringify(r))
})
