/**
 * Test support: a second local registry (Debian's `docker-registry`) on 127.0.0.1 that requires a user name and
 * password (htpasswd, bcrypt), in a temporary directory. `stop` ends it by its pid and removes its files and the
 * images Docker pulled from it.
 */
import bcrypt from "bcryptjs"
import { execFileSync, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export interface AuthRegistry {
  /** `127.0.0.1:<port>` */
  readonly address: string
  readonly username: string
  readonly password: string
  readonly pid: number
  readonly stop: () => Promise<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts the registry and waits until it answers `/v2/` with 401 (it wants credentials). */
export const startAuthRegistry = async (): Promise<AuthRegistry> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-auth-registry-"))
  const username = "dirk-user"
  const password = `pw-${randomBytes(16).toString("hex")}`
  fs.writeFileSync(path.join(dir, "htpasswd"), `${username}:${bcrypt.hashSync(password, 8)}\n`)
  const port = await freePort()
  const address = `127.0.0.1:${port}`
  fs.writeFileSync(
    path.join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "http:",
      `  addr: ${address}`,
      "auth:",
      "  htpasswd:",
      "    realm: dirk-test",
      `    path: ${path.join(dir, "htpasswd")}`,
      ""
    ].join("\n")
  )
  const log = fs.openSync(path.join(dir, "registry.log"), "w")
  const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", log, log] })
  fs.closeSync(log)
  let exited = false
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true
      resolve()
    })
    child.once("error", () => {
      exited = true
      resolve()
    })
  })
  const readLog = () => fs.readFileSync(path.join(dir, "registry.log"), "utf8").slice(-2000)
  // by name (never by image id, which other names may share): `repo:tag`, or `repo@digest` for untagged pulls
  const pulledImages = (): Array<string> =>
    execFileSync("docker", ["images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.startsWith(`${address}/`))
      .map((line) => {
        const [repository, tag, digest] = line.split(" ")
        return tag !== "<none>" ? `${repository}:${tag}` : `${repository}@${digest}`
      })
  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM")
      await Promise.race([exit, sleep(5000)])
      if (!exited) process.kill(child.pid, "SIGKILL")
      await exit
    }
    for (const image of new Set(pulledImages())) {
      try {
        execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  for (let i = 0; ; i++) {
    if (exited) {
      const text = readLog()
      fs.rmSync(dir, { recursive: true, force: true })
      throw new Error(`docker-registry did not start (is Debian's docker-registry installed? run bash scripts/setup.sh): ${text}`)
    }
    const status = await fetch(`http://${address}/v2/`).then((r) => r.status, () => 0)
    if (status === 401) break
    if (i >= 60) {
      const text = readLog()
      await stop()
      throw new Error(`the auth registry at ${address} did not answer 401 on /v2/ (got ${status}): ${text}`)
    }
    await sleep(250)
  }
  return { address, username, password, pid: child.pid!, stop }
}
