// Preloaded into a `dirk` CLI process (NODE_OPTIONS="--require bench/cli-timeline.cjs") by the benchmarks to see
// where its wall time goes: records, in ms since the process started (performance.now()), when each HTTP request
// starts and when its response has been read (node:http and undici diagnostics channels), and the moment the
// process exits. Writes them as JSON to $DIRK_BENCH_TIMELINE at exit; does nothing when that is unset.
const file = process.env.DIRK_BENCH_TIMELINE
if (file !== undefined && file !== "") {
  const dc = require("node:diagnostics_channel")
  const fs = require("node:fs")
  const events = [{ t: performance.now(), what: "preload" }]
  const add = (what) => events.push({ t: performance.now(), what })
  dc.subscribe("http.client.request.start", ({ request }) => {
    add(`http start ${request.method} ${request.path}`)
    request.once("close", () => add(`http closed ${request.method} ${request.path}`))
  })
  dc.subscribe("http.client.response.finish", ({ request, response }) =>
    add(`http response ${request.method} ${request.path} ${response.statusCode}`))
  dc.subscribe("undici:request:create", ({ request }) => add(`undici start ${request.method} ${request.origin}${request.path}`))
  dc.subscribe("undici:request:headers", ({ request }) => add(`undici headers ${request.method} ${request.path}`))
  dc.subscribe("undici:request:trailers", ({ request }) => add(`undici done ${request.method} ${request.path}`))
  const write = process.stdout.write.bind(process.stdout)
  let written = false
  process.stdout.write = (...args) => {
    if (!written) add("stdout first write")
    written = true
    return write(...args)
  }
  process.on("exit", () => {
    add("exit")
    // the first line of the bundle runs after Node's bootstrap: performance.timeOrigin is the process start
    fs.writeFileSync(file, JSON.stringify(events))
  })
}
