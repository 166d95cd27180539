/**
 * Decodes the BuildKit status messages a Docker daemon puts in a build's progress stream
 * (`{"id":"moby.buildkit.trace","aux":"<base64 protobuf>"}`, a `moby.buildkit.v1.StatusResponse`). Only the parts a
 * build report needs are read: vertices (steps) with their names, errors and completion, and their log output. Other
 * fields and unknown fields are skipped by wire type.
 */
import * as Protobuf from "./protobuf.js"

/**
 * A build step as BuildKit reports it (a vertex of its op graph).
 *
 * @category models
 */
export interface Vertex {
  readonly digest: string
  /** e.g. `[2/3] RUN make`. */
  readonly name: string
  readonly cached: boolean
  readonly completed: boolean
  /** Empty unless the step failed. */
  readonly error: string
}

/**
 * Output of a step's process.
 *
 * @category models
 */
export interface VertexLog {
  readonly vertex: string
  /** 1 = stdout, 2 = stderr. */
  readonly stream: number
  readonly msg: Buffer
}

/**
 * @category models
 */
export interface Status {
  readonly vertexes: ReadonlyArray<Vertex>
  readonly logs: ReadonlyArray<VertexLog>
}

/** The fields of a message of the status (see `protobuf.ts`). */
const fields = (buf: Buffer): Array<Protobuf.Field> => Protobuf.fields(buf, "BuildKit status")

const vertex = (buf: Buffer): Vertex => {
  let digest = ""
  let name = ""
  let cached = false
  let completed = false
  let error = ""
  for (const f of fields(buf)) {
    if (f.no === 1) digest = f.bytes.toString("utf8")
    else if (f.no === 3) name = f.bytes.toString("utf8")
    else if (f.no === 4) cached = f.int !== 0
    else if (f.no === 6) completed = true
    else if (f.no === 7) error = f.bytes.toString("utf8")
  }
  return { digest, name, cached, completed, error }
}

const log = (buf: Buffer): VertexLog => {
  let v = ""
  let stream = 0
  let msg = Buffer.alloc(0)
  for (const f of fields(buf)) {
    if (f.no === 1) v = f.bytes.toString("utf8")
    else if (f.no === 3) stream = f.int
    else if (f.no === 4) msg = Buffer.from(f.bytes)
  }
  return { vertex: v, stream, msg }
}

/**
 * Decodes a `StatusResponse` (the bytes behind the base64 `aux` of a trace message). Throws on malformed input.
 *
 * @category constructors
 */
export const decode = (buf: Buffer): Status => {
  const vertexes: Array<Vertex> = []
  const logs: Array<VertexLog> = []
  for (const f of fields(buf)) {
    if (f.no === 1) vertexes.push(vertex(f.bytes))
    else if (f.no === 3) logs.push(log(f.bytes))
  }
  return { vertexes, logs }
}
