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
 * does. The two messages are tiny, so they are encoded here by hand (protobuf wire format) instead of loading
 * `.proto` files.
 */
import type * as Grpc from "@grpc/grpc-js"
import type Dockerode from "dockerode"
import { randomUUID } from "node:crypto"
import { createRequire } from "node:module"
import type { Duplex } from "node:stream"

// Loaded on first use: gRPC is only needed by builds.
let grpcModule: typeof Grpc | undefined
const grpc = (): typeof Grpc => {
  grpcModule ??= createRequire(import.meta.url)("@grpc/grpc-js") as typeof Grpc
  return grpcModule
}

const credentialsMethod = "/moby.filesync.v1.Auth/Credentials"
const getSecretMethod = "/moby.buildkit.secrets.v1.Secrets/GetSecret"
const healthMethod = "/grpc.health.v1.Health/Check"

/** Reads a protobuf varint at `at`; returns the value and the offset after it. */
const readVarint = (buf: Buffer, at: number): [number, number] => {
  let value = 0
  let shift = 0
  let i = at
  for (;;) {
    if (i >= buf.length) throw new Error("truncated varint")
    const b = buf[i++]!
    value += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) return [value, i]
    shift += 7
    if (shift > 49) throw new Error("varint too long")
  }
}

const varint = (n: number): Buffer => {
  const out: Array<number> = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Buffer.from(out)
}

/**
 * The length-delimited fields of a protobuf message, by field number (the last one wins; varint and fixed-size
 * fields are skipped).
 *
 * @category constructors
 */
export const decodeFields = (buf: Buffer): Map<number, Buffer> => {
  const fields = new Map<number, Buffer>()
  let i = 0
  while (i < buf.length) {
    const [key, next] = readVarint(buf, i)
    i = next
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (wire === 0) i = readVarint(buf, i)[1]
    else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else if (wire === 2) {
      const [len, start] = readVarint(buf, i)
      if (start + len > buf.length) throw new Error("truncated field")
      fields.set(field, buf.subarray(start, start + len))
      i = start + len
    } else throw new Error(`unsupported wire type ${wire}`)
  }
  return fields
}

/**
 * A message of length-delimited fields (`[field number, bytes]`, in order).
 *
 * @category constructors
 */
export const encodeFields = (fields: ReadonlyArray<readonly [number, Buffer]>): Buffer =>
  Buffer.concat(fields.flatMap(([n, b]) => [varint(n * 8 + 2), varint(b.length), b]))

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
            name = (decodeFields(call.request).get(1) ?? Buffer.alloc(0)).toString("utf8")
          } catch (e) {
            return done({ code: g.status.INVALID_ARGUMENT, details: String(e) })
          }
          const value = secrets.get(name)
          if (value === undefined) return done({ code: g.status.NOT_FOUND, details: `secret ${name} not found` })
          done(null, encodeFields([[1, value]]))
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
