/**
 * TCP port forwards run by the engine: a listener that relays each connection to a target address (`Service.up`,
 * `host.tunnel`, `host.service`).
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import { DagError } from "../Errors.js"

/**
 * Listens on `host:port` (0: a port the system picks) and relays every connection to `target()` (asked per
 * connection); closed with the scope. `inUse` words the error when the port is taken.
 *
 * @category constructors
 */
export const listen = (o: {
  readonly host: string
  readonly port: number
  readonly target: () => { readonly host: string; readonly port: number }
  readonly inUse: (port: number) => string
}): Effect.Effect<{ readonly port: number }, DagError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<net.Server, DagError>((resume) => {
        const sockets = new Set<net.Socket>()
        // half-open both ways: a client that shuts down its sending side (nc at the end of its input) still gets the reply
        const server = net.createServer({ allowHalfOpen: true }, (client) => {
          const t = o.target()
          // `localhost` may name ::1 and 127.0.0.1: try both (a server may listen on either)
          const upstream = net.connect({ port: t.port, host: t.host, allowHalfOpen: true, autoSelectFamily: true })
          sockets.add(client).add(upstream)
          const done = () => {
            client.destroy()
            upstream.destroy()
            sockets.delete(client)
            sockets.delete(upstream)
          }
          client.on("error", done).on("close", done)
          upstream.on("error", done).on("close", done)
          client.pipe(upstream)
          upstream.pipe(client)
        })
        ;(server as net.Server & { dirkSockets?: Set<net.Socket> }).dirkSockets = sockets
        server.once("error", (e: NodeJS.ErrnoException) =>
          resume(Effect.fail(
            new DagError({
              reason: "Service",
              detail: e.code === "EADDRINUSE" ? o.inUse(o.port) : `cannot listen on ${o.host}:${o.port}: ${e.message}`,
              cause: e
            })
          )))
        server.listen(o.port, o.host, () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const s of (server as net.Server & { dirkSockets?: Set<net.Socket> }).dirkSockets ?? []) s.destroy()
          server.close(() => resume(Effect.void))
        })
    ),
    (server) => ({ port: (server.address() as net.AddressInfo).port })
  )

/**
 * Whether something accepts TCP connections at `host:port` (within `timeoutMs`).
 *
 * @category getters
 */
export const accepts = (host: string, port: number, timeoutMs: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect({ host, port })
    const finish = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once("connect", () => finish(true))
    socket.once("error", () => finish(false))
    return Effect.sync(() => socket.destroy())
  })
