// A minimal session client for the benchmarks, run through `dirk run` (DAGGER_SESSION_PORT/TOKEN set): sends GraphQL
// queries with fetch and times each request from the client side (the engine's answer, nothing else). No SDK, so its
// own start-up is only Node's (and fetch is warmed up before the first timed request).
//
// The plan (JSON, file named by DIRK_BENCH_PLAN) is a list of steps run in order:
//   { "name": "q", "query": "{ … }", "reps": 5, "concurrent": false, "save": "id" }
// A step's query may hold `%key%`, replaced by the string a previous step saved under `key` (its response's first
// string leaf). `%rep%` is replaced by the repetition's index (0-based), `%nonce%` by a per-run random string.
// Prints one JSON line on stdout: { steps: { name: { ms: [...], data: <last response's data>, startUs, endUs, spans } } }
// (startUs/endUs, and spans: [startUs, endUs] of each request: CLOCK_MONOTONIC in µs, the clock of CPU profiles).
// Any GraphQL error exits 1 with the error on stderr.
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"

const port = process.env.DAGGER_SESSION_PORT
const token = process.env.DAGGER_SESSION_TOKEN
if (port === undefined || token === undefined) {
  process.stderr.write("session-client: run me with dirk run (DAGGER_SESSION_PORT/TOKEN unset)\n")
  process.exit(2)
}
const plan = JSON.parse(readFileSync(process.env.DIRK_BENCH_PLAN, "utf8"))
const url = `http://127.0.0.1:${port}/query`
const auth = "Basic " + Buffer.from(`${token}:`).toString("base64")
const nonce = randomBytes(6).toString("hex")
const saved = {}

const firstString = (v) => {
  if (typeof v === "string") return v
  if (v !== null && typeof v === "object") {
    for (const x of Object.values(v)) {
      const s = firstString(x)
      if (s !== undefined) return s
    }
  }
  return undefined
}

const request = async (query) => {
  const startUs = Number(process.hrtime.bigint() / 1000n)
  const t = performance.now()
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ query })
  })
  const body = await res.json()
  const ms = performance.now() - t
  if (body.errors !== undefined && body.errors.length > 0) {
    throw new Error(`${JSON.stringify(body.errors).slice(0, 2000)}\nquery: ${query.slice(0, 500)}`)
  }
  return { ms, data: body.data, span: [startUs, Number(process.hrtime.bigint() / 1000n)] }
}

const fill = (query, rep) =>
  query.replace(/%(\w+)%/g, (_, key) => (key === "rep" ? String(rep) : key === "nonce" ? nonce : saved[key] ?? `%${key}%`))

// Node loads fetch's implementation (undici) on the first call, ~30 ms: pay that on a server of our own first, so
// that the first request to the session is timed like any other.
const warm = createServer((_, res) => res.end("ok"))
await new Promise((resolve) => warm.listen(0, "127.0.0.1", resolve))
await (await fetch(`http://127.0.0.1:${warm.address().port}/`)).text()
warm.close()

const result = { nonce, steps: {} }
try {
  for (const step of plan) {
    const reps = step.reps ?? 1
    const ms = []
    const spans = []
    const startUs = Number(process.hrtime.bigint() / 1000n)
    let data
    if (step.concurrent) {
      const t = performance.now()
      const all = await Promise.all(Array.from({ length: reps }, (_, rep) => request(fill(step.query, rep))))
      ms.push(performance.now() - t)
      spans.push(...all.map((r) => r.span))
      data = all.map((r) => r.data)
    } else {
      for (let rep = 0; rep < reps; rep++) {
        const r = await request(fill(step.query, rep))
        ms.push(r.ms)
        spans.push(r.span)
        data = r.data
      }
    }
    if (step.save !== undefined) saved[step.save] = firstString(data)
    result.steps[step.name] = { ms, data, startUs, endUs: Number(process.hrtime.bigint() / 1000n), spans }
  }
} catch (e) {
  process.stderr.write(`session-client: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
}
process.stdout.write(JSON.stringify(result) + "\n")
