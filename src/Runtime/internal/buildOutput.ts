/**
 * Reads the response body of Docker's build API (`POST /build`): newline-separated JSON messages, BuildKit status
 * traces among them (see `buildkitStatus.ts`). Tracks the steps, the output of each step, the built image id, and
 * the error Docker reports inside the stream (`{"error": …, "errorDetail": {"message": …}}` in a 200 response), and
 * turns a failure into one message: the failing step, the error and the tail of the step's output.
 */
import * as BuildkitStatus from "./buildkitStatus.js"

/**
 * What a build reported.
 *
 * @category models
 */
export interface Report {
  /** The id of the built image (`sha256:…`), when the build got that far. */
  readonly imageId: string | undefined
  /** The error message of a failed build. */
  readonly error: string | undefined
  /** The name of the failing step (`[2/3] RUN make`), when one is known. */
  readonly failedStep: string | undefined
  /** The last lines of output: the failing step's, else the whole build's. */
  readonly tail: ReadonlyArray<string>
}

/**
 * An accumulator of one build's response body.
 *
 * @category models
 */
export interface BuildOutput {
  /** Feeds a chunk of the body (chunks may split or join messages anywhere). */
  readonly push: (chunk: Buffer | string) => void
  /** Ends the body (a last message without a newline is read). */
  readonly end: () => void
  readonly report: () => Report
}

/** Lines kept per step and for the whole build. */
const keep = 200

interface Step {
  name: string
  error: string
  completed: boolean
  lines: Array<string>
  partial: string
}

const pushLimited = (lines: Array<string>, line: string) => {
  lines.push(line)
  if (lines.length > keep) lines.splice(0, lines.length - keep)
}

/**
 * A fresh accumulator; `onLine` sees each output line as it is read (progress display).
 *
 * @category constructors
 */
export const make = (onLine?: (line: string) => void): BuildOutput => {
  let pending = ""
  let imageId: string | undefined
  let error: string | undefined
  const steps = new Map<string, Step>()
  const order: Array<string> = []
  const all: Array<string> = []
  let streamPartial = ""

  const emit = (line: string, into?: Array<string>) => {
    pushLimited(all, line)
    if (into !== undefined) pushLimited(into, line)
    try {
      onLine?.(line)
    } catch {
      // a failing progress callback must not break the build
    }
  }

  const stepOf = (digest: string): Step => {
    let s = steps.get(digest)
    if (s === undefined) {
      s = { name: "", error: "", completed: false, lines: [], partial: "" }
      steps.set(digest, s)
      order.push(digest)
    }
    return s
  }

  const text = (chunk: string, partial: string, into?: Array<string>): string => {
    const parts = (partial + chunk).split("\n")
    const rest = parts.pop() ?? ""
    for (const line of parts) emit(line.replace(/\r$/, ""), into)
    return rest
  }

  const trace = (aux: string) => {
    let status: BuildkitStatus.Status
    try {
      status = BuildkitStatus.decode(Buffer.from(aux, "base64"))
    } catch {
      return // progress only: a message we cannot read loses no result
    }
    for (const v of status.vertexes) {
      const s = stepOf(v.digest)
      if (v.name !== "" && s.name !== v.name) {
        s.name = v.name
        emit(`#${order.indexOf(v.digest) + 1} ${v.name}`)
      }
      if (v.error !== "") s.error = v.error
      if (v.completed) s.completed = true
    }
    for (const l of status.logs) {
      const s = stepOf(l.vertex)
      s.partial = text(l.msg.toString("utf8"), s.partial, s.lines)
    }
  }

  const message = (line: string) => {
    if (line.trim() === "") return
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      emit(line)
      return
    }
    if (typeof json !== "object" || json === null) return
    const m = json as {
      readonly id?: unknown
      readonly aux?: unknown
      readonly stream?: unknown
      readonly error?: unknown
      readonly errorDetail?: { readonly message?: unknown }
    }
    if (m.id === "moby.buildkit.trace" && typeof m.aux === "string") {
      trace(m.aux)
      return
    }
    if (typeof m.aux === "object" && m.aux !== null && typeof (m.aux as { ID?: unknown }).ID === "string") {
      imageId = (m.aux as { ID: string }).ID
      return
    }
    if (typeof m.stream === "string") {
      streamPartial = text(m.stream, streamPartial)
      return
    }
    if (m.error !== undefined || m.errorDetail !== undefined) {
      const detail = m.errorDetail?.message
      error = String(typeof detail === "string" && detail !== "" ? detail : m.error)
    }
  }

  const push = (chunk: Buffer | string) => {
    const lines = (pending + chunk.toString()).split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) message(line)
  }

  const end = () => {
    const last = pending
    pending = ""
    message(last)
    for (const s of steps.values()) {
      if (s.partial !== "") emit(s.partial, s.lines)
      s.partial = ""
    }
    if (streamPartial !== "") emit(streamPartial)
    streamPartial = ""
  }

  const report = (): Report => {
    const stepList = order.map((d) => steps.get(d)!)
    // The step that reported the build's error (steps running beside it fail with "context canceled" when it
    // fails); else the first step that failed for another reason; else, when the build failed, the last one that
    // did not complete.
    const withError = stepList.filter((s) => s.error !== "")
    const failed = (error !== undefined ? withError.find((s) => error!.includes(s.error)) : undefined) ??
      withError.find((s) => !/\bcontext canceled\b/.test(s.error)) ?? withError[0] ??
      (error !== undefined ? stepList.filter((s) => !s.completed && s.name !== "").at(-1) : undefined)
    return {
      imageId,
      error: error ?? (failed !== undefined && failed.error !== "" ? failed.error : undefined),
      failedStep: failed?.name || undefined,
      tail: failed !== undefined && failed.lines.length > 0 ? [...failed.lines] : [...all]
    }
  }

  return { push, end, report }
}

/**
 * A build error in Dagger's words: BuildKit's `executor failed running [cmd]: exit code: N` (and the classic
 * builder's `The command 'cmd' returned a non-zero code: N`) become `process "cmd" did not complete successfully:
 * exit code: N`; other messages are kept.
 *
 * @category getters
 */
export const daggerError = (error: string): string => {
  const message = error.replace(/^failed to solve: /, "").trim()
  const m = /^executor failed running \[(.*)\]: exit code: (\d+)$/s.exec(message) ??
    /^The command '(.*)' returned a non-zero code: (\d+)$/s.exec(message)
  return m === null ? message : `process "${m[1]}" did not complete successfully: exit code: ${m[2]}`
}

/** Lines of output a failure message shows. */
const tailLines = 20

/**
 * The message of a failed build of `dockerfile`: the failing step, the error, and the last lines of output.
 *
 * @category getters
 */
export const failureMessage = (dockerfile: string, report: Report): string => {
  const step = report.failedStep !== undefined ? ` at step ${report.failedStep}` : ""
  const head = `docker build of ${dockerfile} failed${step}: ${daggerError(report.error ?? "no image was produced")}`
  const tail = report.tail.filter((l) => l.trim() !== "").slice(-tailLines)
  return tail.length === 0 ? head : `${head}\nlast ${tail.length} lines of output:\n${tail.join("\n")}`
}
