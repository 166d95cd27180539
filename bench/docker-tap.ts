/**
 * A logging proxy in front of the Docker daemon's socket, for the benchmarks that show which Docker API calls the
 * engine makes and how long each takes (bench/cold-exec.ts, bench/cached-context.ts).
 */
import * as net from "node:net"
import * as path from "node:path"
import { fmtMs, monotonicUs, out } from "./support.js"

export interface TapCall {
  readonly kind: string
  /** `monotonicUs()` / 1000: ms on the clock every process of this host shares (the session client's too). */
  readonly start: number
  end?: number
  status?: number
}

/**
 * A logging proxy in front of the Docker daemon's socket, for an engine started with `DOCKER_HOST: tap.host`: records
 * when each API call starts and when its response headers arrive (per connection; a hijacked stream such as attach
 * counts until its 200/101). Calls are named by method and path with ids replaced (`POST /containers/:id/start`).
 */
export class DockerTap {
  readonly calls: Array<TapCall> = []

  private constructor(private readonly server: net.Server, readonly host: string) {}

  static async start(dir: string, upstream = (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "")): Promise<DockerTap> {
    const sock = path.join(dir, `docker-tap-${process.pid}.sock`)
    let tap: DockerTap | undefined
    const server = net.createServer((client) => {
      const up = net.connect(upstream)
      let waiting: TapCall | undefined
      client.on("data", (d: Buffer) => {
        if (waiting !== undefined) return
        const m = /^(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/.exec(d.subarray(0, 2048).toString("latin1"))
        if (m === null) return
        const p = m[2]!.split("?")[0]!.replace(/\/v1\.\d+/, "").replace(/[0-9a-f]{64}/g, ":id").replace(/sha256:[0-9a-f]+/g, ":id")
        const call: TapCall = { kind: `${m[1]} ${p.startsWith("/images/") && p.endsWith("/json") ? "/images/:ref/json" : p}`, start: monotonicUs() / 1000 }
        tap!.calls.push(call)
        waiting = call
      })
      up.on("data", (d: Buffer) => {
        if (waiting === undefined) return
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(d.subarray(0, 32).toString("latin1"))
        if (m === null) return
        waiting.end = monotonicUs() / 1000
        waiting.status = Number(m[1])
        waiting = undefined
      })
      client.pipe(up)
      up.pipe(client)
      client.on("error", () => up.destroy())
      up.on("error", () => client.destroy())
      client.on("close", () => up.destroy())
      up.on("close", () => client.destroy())
    })
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    tap = new DockerTap(server, `unix://${sock}`)
    return tap
  }

  /** The calls that started between `fromUs` and `toUs` (`monotonicUs()` readings, e.g. a session step's). */
  between(fromUs: number, toUs: number): Array<TapCall> {
    return this.calls.filter((c) => c.start * 1000 >= fromUs && c.start * 1000 <= toUs)
  }

  /** Calls grouped by kind: [kind, count, summed duration in ms], longest first. */
  static summary(calls: ReadonlyArray<TapCall>): Array<[string, number, number]> {
    const by = new Map<string, [number, number]>()
    for (const c of calls) {
      const [n, ms] = by.get(c.kind) ?? [0, 0]
      by.set(c.kind, [n + 1, ms + (c.end ?? c.start) - c.start])
    }
    return [...by].map(([k, [n, ms]]) => [k, n, ms] as [string, number, number]).sort((a, b) => b[2] - a[2])
  }

  /** How long at least one of `calls` was waiting for Docker (the union of their intervals), in ms. */
  static busy(calls: ReadonlyArray<TapCall>): number {
    const iv = calls.map((c) => [c.start, c.end ?? c.start] as const).sort((a, b) => a[0] - b[0])
    let total = 0
    let cur: [number, number] | undefined
    for (const [s, e] of iv) {
      if (cur === undefined || s > cur[1]) {
        if (cur !== undefined) total += cur[1] - cur[0]
        cur = [s, e]
      } else cur[1] = Math.max(cur[1], e)
    }
    return total + (cur === undefined ? 0 : cur[1] - cur[0])
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

export const printTap = (title: string, rows: ReadonlyArray<[string, number, number]>, per = 1): void => {
  out(title)
  for (const [kind, n, ms] of rows) out(`  ${fmtMs(ms / per).padStart(8)}  ${kind}${n / per !== 1 ? ` (×${(n / per).toFixed(n % per === 0 ? 0 : 1)})` : ""}`)
}
