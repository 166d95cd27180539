/**
 * The BuildKit session of one build: a hijacked `/session` connection (HTTP/2 without TLS) on which the engine serves
 * gRPC to Docker's BuildKit. It answers three services:
 *
 * - `grpc.health.v1.Health/Check`: SERVING (BuildKit checks a session every few seconds and drops it when the check
 *   fails, after which a later step that mounts a secret fails with "no active session");
 * - `moby.filesync.v1.Auth/Credentials`: registry credentials (none: images come from the daemon's store or public
 *   registries);
 * - `moby.buildkit.secrets.v1.Secrets/GetSecret`: the build's secrets by id (`RUN --mount=type=secret,id=<name>`),
 *   from memory; an unknown id is NOT_FOUND, which BuildKit reports with the id.
 *
 * The methods are announced in the session's headers (`X-Docker-Expose-Session-Grpc-Method`), as Docker's own client
 * does. The messages are tiny, so they are read and written with `protobuf.ts` instead of loading `.proto` files.
 */
import type * as Grpc from "@grpc/grpc-js"
import type Dockerode from "dockerode"
import { randomUUID } from "node:crypto"
import { createRequire } from "node:module"
import type { Duplex } from "node:stream"
import * as Protobuf from "./protobuf.js"

// Loaded on first use: gRPC is only needed by builds.
let grpcModule: typeof Grpc | undefined
const grpc = (): typeof Grpc => {
  grpcModule ??= createRequire(import.meta.url)("@grpc/grpc-js") as typeof Grpc
  return grpcModule
}

const credentialsMethod = "/moby.filesync.v1.Auth/Credentials"
const getSecretMethod = "/moby.buildkit.secrets.v1.Secrets/GetSecret"
const healthMethod = "/grpc.health.v1.Health/Check"

const unary = (path: string): Grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b
})

/**
 * An open session: its id (the build's `session` parameter) and how to close it.
 *
 * @category models
 */
export interface BuildSession {
  readonly id: string
  readonly close: () => void
}

/**
 * Opens a session that serves `secrets` (plaintexts by id).
 *
 * @category constructors
 */
export const open = (
  docker: Dockerode,
  secrets: ReadonlyMap<string, Buffer>,
  callback: (err: unknown, session?: BuildSession) => void
): void => {
  const id = randomUUID()
  docker.modem.dial({
    method: "POST",
    path: "/session",
    hijack: true,
    headers: {
      Upgrade: "h2c",
      "X-Docker-Expose-Session-Uuid": id,
      "X-Docker-Expose-Session-Name": "dirk",
      "X-Docker-Expose-Session-Sharedkey": "",
      "X-Docker-Expose-Session-Grpc-Method": [healthMethod, credentialsMethod, getSecretMethod]
    },
    statusCodes: { 101: true, 200: true, 500: "server error" }
  } as never, (err: unknown, socket: unknown) => {
    if (err) return callback(err)
    const g = grpc()
    const server = new g.Server()
    try {
      server.addService({ Check: unary(healthMethod) }, {
        // HealthCheckResponse { status: SERVING (1) }
        Check: (_call: unknown, done: Grpc.sendUnaryData<Buffer>) => done(null, Buffer.from([0x08, 0x01]))
      })
      server.addService({ Credentials: unary(credentialsMethod) }, {
        // no credentials: an empty CredentialsResponse
        Credentials: (_call: unknown, done: Grpc.sendUnaryData<Buffer>) => done(null, Buffer.alloc(0))
      })
      server.addService({ GetSecret: unary(getSecretMethod) }, {
        GetSecret: (call: Grpc.ServerUnaryCall<Buffer, Buffer>, done: Grpc.sendUnaryData<Buffer>) => {
          let name: string
          try {
            // GetSecretRequest { string ID = 1; map<string, string> annotations = 2 }
            name = (Protobuf.fields(call.request, "GetSecretRequest").filter((f) => f.no === 1).at(-1)?.bytes ?? Buffer.alloc(0))
              .toString("utf8")
          } catch (e) {
            return done({ code: g.status.INVALID_ARGUMENT, details: String(e) })
          }
          const value = secrets.get(name)
          if (value === undefined) return done({ code: g.status.NOT_FOUND, details: `secret ${name} not found` })
          done(null, Protobuf.encode([[1, value]]))
        }
      })
      const injector = server.createConnectionInjector(g.ServerCredentials.createInsecure())
      injector.injectConnection(socket as Duplex)
    } catch (e) {
      ;(socket as Duplex).destroy()
      return callback(e)
    }
    callback(null, {
      id,
      close: () => {
        server.forceShutdown()
        ;(socket as Duplex).end()
      }
    })
  })
}
