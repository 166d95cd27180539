/**
 * Tar helpers for tests: build an archive from a map of files, read an archive into a map of files.
 */
import { Effect } from "effect"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"

/** A tar stream of `files` (name → content); names ending in `/` are directories. */
export const pack = (files: Readonly<Record<string, string>>): Readable => {
  const p = TarStream.pack()
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith("/")) p.entry({ name, type: "directory", mode: 0o755 })
    else p.entry({ name, mode: 0o644 }, content)
  }
  p.finalize()
  return Readable.from(p)
}

/** Reads a tar stream into name → content (directories map to ""). */
export const unpack = (tar: Readable): Effect.Effect<Record<string, string>, Error> =>
  Effect.tryPromise({
    try: async () => {
      const files: Record<string, string> = {}
      const extract = TarStream.extract()
      tar.pipe(extract as unknown as NodeJS.WritableStream)
      for await (const entry of extract) {
        const chunks: Array<Buffer> = []
        for await (const chunk of entry) chunks.push(chunk as Buffer)
        files[entry.header.name] = Buffer.concat(chunks).toString("utf8")
      }
      return files
    },
    catch: (cause) => cause instanceof Error ? cause : new Error(String(cause))
  })
