/**
 * The control protocol between the CLI and the engine daemon: HTTP/1.1 on the engine's socket (unix or tcp).
 *
 * - `GET /version` → `Hello`: both sides check `protocol` (and the CLI shows `version`) before anything else.
 * - `POST /session` with `{"workdir": "/abs", "interactive"?: {"terminal": bool, "debugFailures": bool}}` → a stream of JSON lines: first `{"session": SessionInfo}` (or
 *   `{"error": "…"}`), then `{"event": ProgressEvent}` for the session's progress. The session lives exactly as long
 *   as this response: when the client goes away (it closes the connection, or its process dies), the engine ends the
 *   session and removes what it made.
 * - Secrets resolved on the client's side (`secret(uri:)`): the engine writes `{"secret": SecretRequest}` on the
 *   session stream; the client resolves the URI on its host (`SecretUri.resolve`) and answers with
 *   `POST /session/secret` and a `SecretAnswer` → 200 `{}` (404 when no such request is pending).
 * - `GET /status` → `Status`.
 * - `POST /stop` with `{"force": bool}` → 200 `{"stopping": true}`, or 409 `{"error": …}` while sessions are open
 *   and `force` is not set.
 * - `POST /prune` with `{"all": bool, "keepStorage": bytes | null}` → `PruneReport`.
 */

/** The dirk version (CLI and engine). */
export const version = "0.1.0"

/** The control protocol's version: a CLI and an engine talk only when theirs are equal. */
export const protocol = 1

/**
 * @category models
 */
export interface Hello {
  readonly version: string
  readonly protocol: number
  readonly pid: number
  readonly stateDir: string
}

/**
 * The engine asks the session's client for a secret's value.
 *
 * @category models
 */
export interface SecretRequest {
  readonly id: number
  readonly uri: string
}

/**
 * The client's answer: the value, or an error that names the secret but not a value.
 *
 * @category models
 */
export interface SecretAnswer {
  readonly session: string
  /** The session's token (only its opener has it). */
  readonly token: string
  readonly id: number
  readonly value?: string
  readonly error?: string
}

/**
 * @category models
 */
export interface SessionStatus {
  readonly id: string
  readonly workdir: string
  /** ISO time. */
  readonly openedAt: string
}

/**
 * @category models
 */
export interface CacheStatus {
  /** Cache entries by kind (exec, file, image, module, …). */
  readonly entries: Readonly<Record<string, number>>
  /** Bytes used by the cache's snapshots and images (approximate for images: their own layers). */
  readonly bytes: number
  /** The storage budget GC keeps the cache under. */
  readonly keepStorage: number
}

/**
 * @category models
 */
export interface Status extends Hello {
  /** ISO time. */
  readonly startedAt: string
  readonly sessions: ReadonlyArray<SessionStatus>
  readonly cache: CacheStatus
}

/**
 * @category models
 */
export interface PruneReport {
  readonly removedEntries: number
  readonly freedBytes: number
  readonly remainingBytes: number
}

/**
 * Reads a stream of JSON lines (the session stream above, a module runner's replies): calls `onMessage` with each
 * line parsed; blank and malformed lines are skipped.
 *
 * @category parsing
 */
export const onJsonLines = <A>(stream: NodeJS.ReadableStream, onMessage: (message: A) => void): void => {
  let buffered = ""
  stream.setEncoding("utf8")
  stream.on("data", (chunk: string) => {
    buffered += chunk
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      if (line.trim() === "") continue
      let message: A
      try {
        message = JSON.parse(line) as A
      } catch {
        continue
      }
      onMessage(message)
    }
  })
}
