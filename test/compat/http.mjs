// HTTP sources with Dagger's own npm client, unchanged, against dirk (through `dirk run`). The test serves the files
// (DIRK_TEST_HTTP: the server's base URL) and checks the JSON printed here (test/integration/CompatHttp.test.ts).
import { connect } from "@dagger.io/dagger"
import { step } from "./step.mjs"

const base = process.env.DIRK_TEST_HTTP

await connect(async (client) => {
  const r = {}
  const file = client.http(`${base}/files/data.txt`)
  await step(r, "contents", () => file.contents())
  await step(r, "name", () => file.name())
  await step(r, "size", () => file.size())
  await step(r, "named", () => client.http(`${base}/files/data.txt`, { name: "x.sh", permissions: 0o755 }).name())
  await step(r, "mode", () =>
    client.container().from("dirk.local/busybox:latest")
      .withFile("/x.sh", client.http(`${base}/files/data.txt`, { name: "x.sh", permissions: 0o755 }))
      .withExec(["stat", "-c", "%a", "/x.sh"]).stdout())
  await step(r, "checksum", () => client.http(`${base}/files/data.txt`, { checksum: process.env.DIRK_TEST_HTTP_SHA }).contents())
  await step(r, "mismatch", () => client.http(`${base}/files/data.txt`, { checksum: `sha256:${"0".repeat(64)}` }).contents())
  await step(r, "notFound", () => client.http(`${base}/missing`).contents())
  await step(r, "byId", async () => client.loadFileFromID(await file.id()).contents())
  // authHeader: a secret whose value is the whole Authorization header
  const bearer = client.setSecret("http-bearer", process.env.DIRK_TEST_HTTP_BEARER)
  const authed = client.http(`${base}/private/data.txt`, { authHeader: bearer })
  await step(r, "authContents", () => authed.contents())
  await step(r, "authId", () => authed.id())
  await step(r, "authMissing", () => client.http(`${base}/private/data.txt`).contents())
  await step(r, "authWrong", () =>
    client.http(`${base}/private/data.txt`, { authHeader: client.setSecret("http-wrong", process.env.DIRK_TEST_HTTP_WRONG) }).contents())
  process.stdout.write(JSON.stringify(r))
})
