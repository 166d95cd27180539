// Directory.dockerBuild with Dagger's own npm client, unchanged, through `dirk run`: a multi-stage Dockerfile with
// ARG/buildArgs, target, the image config the result carries, execs on it, a custom Dockerfile path, a failing RUN, a
// missing Dockerfile and the arguments dirk refuses. argv[2]: a nonce, set as a label in every stage so that the test
// can look for what the builds left in Docker. Prints one JSON object; test/integration/CompatDockerBuild.test.ts
// checks it.
import { connect } from "@dagger.io/dagger"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { step } from "./step.mjs"

const [nonce] = process.argv.slice(2)

const dockerfile = `ARG BASE=dirk.local/busybox:latest
FROM \${BASE} AS builder
LABEL dirk.test.dockerbuild=${nonce}
ARG GREETING=hello
RUN mkdir -p /out && echo "$GREETING from the builder" > /out/greeting.txt
COPY message.txt /out/message.txt

FROM dirk.local/busybox:latest AS runtime
LABEL org.example.stage=runtime dirk.test.dockerbuild=${nonce}
ENV APP_MODE=production APP_HOME=/srv/app
WORKDIR /srv/app
COPY --from=builder /out/ ./
EXPOSE 8080/tcp 9090/udp
USER 1000:1000
ENTRYPOINT ["cat"]
CMD ["greeting.txt"]

FROM runtime AS debug
ENV APP_MODE=debug
CMD ["message.txt"]
`

const custom = `FROM dirk.local/busybox:latest
LABEL dirk.test.dockerbuild=${nonce}
ARG FLAVOR
COPY message.txt /custom/message.txt
RUN echo "flavor=$FLAVOR" > /custom/flavor.txt
`

const failing = `FROM dirk.local/busybox:latest
LABEL dirk.test.dockerbuild=${nonce}
RUN echo fine > /fine.txt
RUN echo "about to fail" && echo "oops on stderr" >&2 && exit 7
RUN echo never
`

const secretDockerfile = `FROM dirk.local/busybox:latest
LABEL dirk.test.dockerbuild=${nonce}
RUN --mount=type=secret,id=token test "$(sha256sum < /run/secrets/token | cut -c1-64)" = "${createHash("sha256").update("s3cr3t-value").digest("hex")}" && echo ok > /checked.txt && wc -c < /run/secrets/token > /len.txt
RUN sleep 8
RUN --mount=type=secret,id=token,target=/elsewhere/tok sed 's/./x/g' /elsewhere/tok > /target.txt && echo >> /target.txt
`

const secretFailing = `FROM dirk.local/busybox:latest
LABEL dirk.test.dockerbuild=${nonce}
RUN --mount=type=secret,id=token echo "the token is $(cat /run/secrets/token)" && exit 3
`

const secretMissing = `FROM dirk.local/busybox:latest
LABEL dirk.test.dockerbuild=${nonce}
RUN --mount=type=secret,id=other,required=true true
`

await connect(async (client) => {
  const r = {}
  const dir = client
    .directory()
    .withNewFile("Dockerfile", dockerfile)
    .withNewFile("message.txt", "a message from the context\n")
    .withNewFile("build/Custom.Dockerfile", custom)
    .withNewFile("fail.Dockerfile", failing)

  const config = async (c) => ({
    appMode: await c.envVariable("APP_MODE"),
    appHome: await c.envVariable("APP_HOME"),
    workdir: await c.workdir(),
    user: await c.user(),
    entrypoint: await c.entrypoint(),
    defaultArgs: await c.defaultArgs(),
    stageLabel: await c.label("org.example.stage"),
    engineLabel: await c.label("dirk.engine"),
    ports: await Promise.all((await c.exposedPorts()).map(async (p) => `${await p.port()}/${await p.protocol()}`))
  })

  const built = dir.dockerBuild({ buildArgs: [{ name: "GREETING", value: "hi" }] })
  await step(r, "lastStage", () => config(built))
  await step(r, "lastStageExec", () => built.withExec(["cat", "greeting.txt", "message.txt"]).stdout())
  await step(r, "lastStageEntrypoint", () => built.withExec([], { useEntrypoint: true }).stdout())
  await step(r, "lastStageId", async () => {
    // the same build loaded back from its ID, and a file read from its rootfs
    const again = client.loadContainerFromID(await built.id())
    return { whoami: await again.withExec(["id", "-u"]).stdout(), file: await again.file("/srv/app/greeting.txt").contents() }
  })

  const runtime = dir.dockerBuild({ target: "runtime" })
  await step(r, "target", () => config(runtime))
  await step(r, "targetExec", () => runtime.withExec([], { useEntrypoint: true }).stdout())

  const customBuilt = dir.dockerBuild({ dockerfile: "build/Custom.Dockerfile", buildArgs: [{ name: "FLAVOR", value: "vanilla" }] })
  await step(r, "custom", () => customBuilt.withExec(["cat", "/custom/message.txt", "/custom/flavor.txt"]).stdout())
  await step(r, "customInSubdir", () =>
    dir.directory("build").withFile("message.txt", dir.file("message.txt"))
      .dockerBuild({ dockerfile: "Custom.Dockerfile" }).withExec(["cat", "/custom/flavor.txt"]).stdout())

  await step(r, "failing", () => dir.dockerBuild({ dockerfile: "fail.Dockerfile" }).sync().then(() => "built"))
  await step(r, "missing", () => dir.dockerBuild({ dockerfile: "nope/Dockerfile" }).sync().then(() => "built"))
  await step(r, "missingDefault", () => client.directory().withNewFile("README", "x").dockerBuild().sync().then(() => "built"))
  await step(r, "platform", () => dir.dockerBuild({ platform: "linux/s390x" }).sync().then(() => "built"))
  // what the builds put in Docker, while the engine still runs (the test checks that it is gone afterwards)
  await step(r, "inDocker", () => {
    const docker = (...args) => execFileSync("docker", args, { encoding: "utf8" }).trim().split("\n").filter(Boolean)
    const filter = `label=dirk.test.dockerbuild=${nonce}`
    return {
      images: docker("images", "-a", "-q", "--no-trunc", "--filter", filter).map((id) => ({
        id,
        labels: JSON.parse(docker("image", "inspect", "--format", "{{json .Config.Labels}}", id)[0])
      })),
      containers: docker("ps", "-a", "-q", "--filter", filter)
    }
  })
  // secrets: mounted by name in RUN --mount=type=secret; in no layer; scrubbed from a failure's output
  const token = client.setSecret("token", "s3cr3t-value")
  const secretDir = dir
    .withNewFile("secret.Dockerfile", secretDockerfile)
    .withNewFile("secret-fail.Dockerfile", secretFailing)
    .withNewFile("secret-missing.Dockerfile", secretMissing)
  const withSecret = secretDir.dockerBuild({ dockerfile: "secret.Dockerfile", secrets: [token] })
  await step(r, "secrets", () => withSecret.withExec(["cat", "/checked.txt", "/len.txt", "/target.txt"]).stdout())
  await step(r, "secretsExport", () => withSecret.export(path.join(os.tmpdir(), `dirk-dockerbuild-secret-${nonce}.tar`)))
  await step(r, "secretsFailing", () =>
    secretDir.dockerBuild({ dockerfile: "secret-fail.Dockerfile", secrets: [token] }).sync().then(() => "built"))
  await step(r, "secretsMissing", () =>
    secretDir.dockerBuild({ dockerfile: "secret-missing.Dockerfile", secrets: [token] }).sync().then(() => "built"))
  process.stdout.write(JSON.stringify(r))
})
