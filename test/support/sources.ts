/**
 * Test support: local git repositories (a bare repo in a temp dir, also served by `git daemon` on 127.0.0.1) and a
 * local HTTP server. No internet.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "dirk",
  GIT_AUTHOR_EMAIL: "dirk@example.invalid",
  GIT_COMMITTER_NAME: "dirk",
  GIT_COMMITTER_EMAIL: "dirk@example.invalid",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z"
}

export const git = (cwd: string, ...args: Array<string>): string =>
  execFileSync("git", ["-c", "init.defaultBranch=main", ...args], { cwd, env: gitEnv, encoding: "utf8" }).trim()

export interface TestRepo {
  /** The temp dir holding `work/` and `repo.git` (the git daemon's base path). */
  readonly base: string
  /** The bare repository's absolute path. */
  readonly bare: string
  /** main~1 (tagged v1, annotated; branch `feature` starts here). */
  readonly first: string
  /** main. */
  readonly second: string
  /** The tip of branch `feature`. */
  readonly feature: string
  /** Commits a new README on main and pushes it to the bare repo; returns the new commit. */
  readonly pushMain: (readme: string) => string
  readonly cleanup: () => void
}

/**
 * A bare repo: main has two commits (README "one", then README "two" and sub/file.txt), v1 is an annotated tag on
 * the first, `feature` adds feature.txt on top of the first.
 */
export const makeRepo = (): TestRepo => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-git-"))
  const work = path.join(base, "work")
  fs.mkdirSync(work)
  git(work, "init", "-q")
  fs.writeFileSync(path.join(work, "README"), "one\n")
  git(work, "add", ".")
  git(work, "commit", "-q", "-m", "first")
  const first = git(work, "rev-parse", "HEAD")
  git(work, "tag", "-a", "v1", "-m", "version 1")
  git(work, "checkout", "-q", "-b", "feature")
  fs.writeFileSync(path.join(work, "feature.txt"), "feature\n")
  git(work, "add", ".")
  git(work, "commit", "-q", "-m", "feature")
  const feature = git(work, "rev-parse", "HEAD")
  git(work, "checkout", "-q", "main")
  fs.writeFileSync(path.join(work, "README"), "two\n")
  fs.mkdirSync(path.join(work, "sub"))
  fs.writeFileSync(path.join(work, "sub", "file.txt"), "sub file\n")
  git(work, "add", ".")
  git(work, "commit", "-q", "-m", "second")
  const second = git(work, "rev-parse", "HEAD")
  const bare = path.join(base, "repo.git")
  git(base, "clone", "-q", "--bare", work, bare)
  git(work, "remote", "add", "origin", bare)
  fs.writeFileSync(path.join(bare, "git-daemon-export-ok"), "")
  const pushMain = (readme: string) => {
    fs.writeFileSync(path.join(work, "README"), readme)
    git(work, "commit", "-q", "-am", `update ${readme.trim()}`)
    git(work, "push", "-q", "origin", "main")
    return git(work, "rev-parse", "HEAD")
  }
  const cleanup = () => fs.rmSync(base, { recursive: true, force: true })
  return { base, bare, first, second, feature, pushMain, cleanup }
}

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** `git daemon` serving `basePath` on 127.0.0.1; `url(name)` is `git://127.0.0.1:<port>/<name>`. */
export const startGitDaemon = async (basePath: string) => {
  const port = await freePort()
  const child = spawn("git", [
    "daemon",
    "--reuseaddr",
    "--listen=127.0.0.1",
    `--port=${port}`,
    `--base-path=${basePath}`,
    "--export-all",
    basePath
  ], { env: gitEnv, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
  const deadline = Date.now() + 10_000
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end()
        resolve(true)
      })
      s.on("error", () => resolve(false))
    })
    if (up) break
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill()
      throw new Error(`git daemon did not start: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: (name: string) => `git://127.0.0.1:${port}/${name}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill()
      })
  }
}

export interface Route {
  readonly status?: number
  readonly body: string | Buffer
  readonly headers?: Record<string, string>
  /** When set, a request without exactly this `Authorization` header gets 401. */
  readonly authorization?: string
}

/** An HTTP server on 127.0.0.1 serving fixed routes (404 elsewhere), counting requests per path. */
export const startHttpServer = async (routes: Record<string, Route>) => {
  const hits = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "/").split("?")[0]!
    hits.set(p, (hits.get(p) ?? 0) + 1)
    const route = routes[p]
    if (route === undefined) {
      res.writeHead(404, { "content-type": "text/plain" })
      res.end("not found")
      return
    }
    if (route.authorization !== undefined && req.headers.authorization !== route.authorization) {
      res.writeHead(401, { "content-type": "text/plain" })
      res.end("unauthorized")
      return
    }
    res.writeHead(route.status ?? 200, route.headers ?? { "content-type": "application/octet-stream" })
    res.end(route.body)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    hits: (p: string) => hits.get(p) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * Git's smart HTTP protocol on 127.0.0.1 (`git http-backend` as a CGI per request) serving the bare repositories
 * under `basePath`; requests whose `Authorization` header is not one of `accept` get 401. `url(name)` is
 * `http://127.0.0.1:<port>/<name>`; `seen` lists the Authorization headers of the requests it refused.
 */
export const startGitHttpServer = async (basePath: string, accept: ReadonlyArray<string>) => {
  const refused: Array<string> = []
  const server = http.createServer((req, res) => {
    const authorization = req.headers.authorization ?? ""
    if (!accept.includes(authorization)) {
      refused.push(authorization)
      res.writeHead(401, { "www-authenticate": "Basic realm=\"git\"", "content-type": "text/plain" })
      res.end("unauthorized")
      return
    }
    const [pathInfo, query] = (req.url ?? "/").split("?")
    const child = spawn("git", ["http-backend"], {
      env: {
        ...gitEnv,
        GIT_PROJECT_ROOT: basePath,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(pathInfo!),
        QUERY_STRING: query ?? "",
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-encoding"] !== undefined ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
        ...(req.headers["git-protocol"] !== undefined ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
        REMOTE_USER: "test",
        REMOTE_ADDR: "127.0.0.1"
      },
      stdio: ["pipe", "pipe", "ignore"]
    })
    req.pipe(child.stdin)
    // the CGI's output: header lines, a blank line, the body
    let head = Buffer.alloc(0)
    let headersDone = false
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk)
      head = Buffer.concat([head, chunk])
      const crlf = head.indexOf("\r\n\r\n")
      const lf = head.indexOf("\n\n")
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf
      if (end < 0) return
      const sep = end === crlf ? 4 : 2
      let status = 200
      const headers: Record<string, string> = {}
      for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
        const i = line.indexOf(":")
        if (i < 0) continue
        const k = line.slice(0, i).trim()
        const v = line.slice(i + 1).trim()
        if (k.toLowerCase() === "status") status = Number(v.split(" ")[0])
        else headers[k] = v
      }
      res.writeHead(status, headers)
      headersDone = true
      res.write(head.subarray(end + sep))
    })
    child.stdout.on("end", () => res.end())
    child.on("error", () => res.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: (name: string) => `http://127.0.0.1:${port}/${name}`,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** The `Authorization` header of HTTP Basic. */
export const basicAuth = (user: string, password: string): string =>
  "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64")
