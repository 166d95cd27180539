/**
 * Benchmark (issue 4 point 7, second item): the cached 10-step pipeline over a 200 MB, 10k-file host directory,
 * against BuildKit with that directory as its context (COPY . /src, then the same 10 RUNs):
 *   - unchanged: ≤ 0.5× BuildKit (both fully cached);
 *   - one file changed: ≤ 0.25× BuildKit (the change invalidates the copy and all 10 steps in both).
 *
 *   npx tsx bench/cached-context.ts      (or: npm run bench:cached-context)
 *
 * dirk: `dirk run -- node bench/session-client.mjs` (a fetch client: host.directory(ctx).id, then
 * container.from(busybox).withDirectory("/src", dir).withExec(step 1)…withExec(step 10).stdout); its whole wall time
 * is dirk's number (the client's own Node start-up, ~60 ms, included). BuildKit: `docker build` of the same tree.
 * The tree is bench/filepath.ts's (DIRK_BENCH_MB / DIRK_BENCH_FILES) plus probe.txt, the file that changes; step 10
 * prints it, so both sides prove they saw the change. Env: DIRK_BENCH_REPS (default 5).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { generate } from "./filepath.js"
import { DockerTap } from "./docker-tap.js"
import {
  buildkitClient, chain, dockerfile, Engine, ensureReady, fmtMs, image, isMain, loadavg, median, out,
  type PlanStep, printTable, run, runMain, spawnTimed, spread, steps, time
} from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 5)
const tag = "dirk-bench/cached-context:latest"

export const main = async () => {
  await ensureReady()
  const bk = await buildkitClient()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-context-"))
  const engine = await Engine.fresh()
  try {
    const ctx = path.join(tmp, "ctx")
    fs.mkdirSync(ctx)
    generate(ctx)
    const probe = path.join(ctx, "probe.txt")
    fs.writeFileSync(probe, "original\n")
    const du = (await run("du", ["-sm", ctx])).stdout.split("\t")[0]
    const files = Number((await run("sh", ["-c", `find ${ctx} -type f | wc -l`])).stdout.trim())
    out(`cached-context: ${files} files, ${du} MB; ${reps} repetitions after warm-ups; anchor ${bk.what}; load average ${loadavg()}`)

    const cmds = steps(10, "cat /src/probe.txt")
    const expected = (p: string) => cmds.map((_, i) => `${i + 1}\n`).join("") + p
    const dockerfilePath = path.join(tmp, "Dockerfile")
    fs.writeFileSync(dockerfilePath, dockerfile(image, cmds, "COPY . /src"))
    const build = async () => {
      const r = await spawnTimed(bk.cmd, ["build", "-q", "-f", dockerfilePath, "-t", tag, ctx], { env: bk.env })
      if (r.code !== 0) throw new Error(`docker build exited ${r.code}: ${r.stderr.slice(-2000)}`)
      return r
    }
    const plan: ReadonlyArray<PlanStep> = [
      { name: "dir", query: `{ host { directory(path: ${JSON.stringify(ctx)}) { id } } }`, save: "dir" },
      {
        name: "pipeline",
        query: `{ ${chain(cmds, "stdout", `container { from(address: "${image}") { withDirectory(path: "/src", source: "%dir%")`)} }`
      }
    ]
    const dirk = async (p: string) => {
      const s = await engine.session(plan)
      let v = s.steps.pipeline!.data.container.from.withDirectory
      for (let i = 0; i < 10; i++) v = v.withExec
      if (v.stdout !== expected(p)) throw new Error(`dirk printed ${JSON.stringify(v.stdout)}, expected ${JSON.stringify(expected(p))}`)
      return s
    }

    // unchanged: warm both (the first run of each copies the tree and runs the steps)
    const [first] = [await build(), await build()]
    const [cold] = [await dirk("original\n"), await dirk("original\n")]
    const bkSame: Array<number> = []
    const dirkSame: Array<number> = []
    const hashSame: Array<number> = []
    const pipeSame: Array<number> = []
    for (let i = 0; i < reps; i++) {
      const b = await build()
      if (b.stdout.trim() !== first.stdout.trim()) throw new Error("the cached build gave another image")
      bkSame.push(b.ms)
      const s = await dirk("original\n")
      dirkSame.push(s.ms)
      hashSame.push(s.steps.dir!.ms[0]!)
      pipeSame.push(s.steps.pipeline!.ms[0]!)
    }

    // what any `dirk run` of this client costs: the CLI, a session, the client's Node, no request
    const emptyMs: Array<number> = []
    for (let i = 0; i < reps; i++) emptyMs.push((await engine.session([])).ms)

    // one file changed before each repetition (new content each time: nothing is cached in either)
    const bkChanged: Array<number> = []
    const dirkChanged: Array<number> = []
    const hashChanged: Array<number> = []
    const pipeChanged: Array<number> = []
    let content = ""
    for (let i = -1; i < reps; i++) {
      content = `changed ${i} ${Math.random().toString(36).slice(2)}\n`
      fs.writeFileSync(probe, content)
      const b = await build()
      const s = await dirk(content)
      if (i < 0) continue // warm-up
      bkChanged.push(b.ms)
      dirkChanged.push(s.ms)
      hashChanged.push(s.steps.dir!.ms[0]!)
      pipeChanged.push(s.steps.pipeline!.ms[0]!)
    }
    const seen = await run("docker", ["run", "--rm", "--network", "none", tag, "cat", "/src/probe.txt"])
    if (seen.stdout !== content) throw new Error(`the built image holds ${JSON.stringify(seen.stdout)} in /src/probe.txt`)

    // where a changed run goes on both sides: dirk op by op (one request each, on the previous one) on a fresh
    // engine whose Docker calls go through a logging proxy, and BuildKit's own step timings
    content = `changed profile ${Math.random().toString(36).slice(2)}\n`
    fs.writeFileSync(probe, content)
    const prefix = `container { from(address: "${image}") { withDirectory(path: "/src", source: "%dir%")`
    const profilePlan: Array<PlanStep> = [
      { name: "from (resolve the image)", query: `{ container { from(address: "${image}") { sync } } }` },
      { name: "host.directory (walk + hash every byte: a first read)", query: `{ host { directory(path: ${JSON.stringify(ctx)}) { id } } }`, save: "dir" },
      { name: "withDirectory (tar the host files into a container, commit)", query: `{ ${prefix} { sync } } } }` }
    ]
    for (let n = 1; n <= 10; n++) profilePlan.push({ name: `withExec step ${n}`, query: `{ ${chain(cmds.slice(0, n), "sync", prefix)} }` })
    profilePlan.push({ name: "stdout of step 10", query: `{ ${chain(cmds, "stdout", prefix)} }` })
    const tap = await DockerTap.start(tmp)
    const tapped = await Engine.fresh({ DOCKER_HOST: tap.host })
    let prof: Awaited<ReturnType<Engine["session"]>>
    try {
      prof = await tapped.session(profilePlan)
    } finally {
      await tapped.close()
      await tap.close()
    }
    const plain = await spawnTimed(bk.cmd, ["build", "--progress=plain", "-f", dockerfilePath, "-t", tag, ctx], { env: bk.env })
    // the Docker floor of dirk's way (files into a container's filesystem, then a commit): docker cp + docker commit
    const cpFloor = await (async () => {
      const c = (await run("docker", ["create", "--label", "dirk.bench=1", image, "true"])).stdout.trim()
      try {
        const [, cp] = await time(() => run("docker", ["cp", `${ctx}/.`, `${c}:/src`]))
        let img = ""
        const [, commit] = await time(async () => {
          img = (await run("docker", ["commit", c])).stdout.trim()
        })
        await run("docker", ["rmi", img]).catch(() => undefined)
        return { cp, commit }
      } finally {
        await run("docker", ["rm", "-f", c]).catch(() => undefined)
      }
    })()

    printTable("cached 10-step pipeline over a 200 MB, 10k-file host directory vs BuildKit (same context)", "BuildKit", [
      { name: "unchanged (both cached)", anchor: median(bkSame), dirk: median(dirkSame), target: { kind: "ratio", max: 0.5 } },
      { name: "one file changed (copy + 10 steps rerun)", anchor: median(bkChanged), dirk: median(dirkChanged), target: { kind: "ratio", max: 0.25 } }
    ])
    out("")
    out(`unchanged: docker build ${spread(bkSame)}`)
    out(`unchanged: dirk run     ${spread(dirkSame)}; first run ever (copy + steps, daemon start) ${fmtMs(cold.ms)}`)
    out(`  in the session: host.directory ${spread(hashSame)}; the pipeline (memoized) ${spread(pipeSame)}`)
    out(`  the same dirk run with no request (CLI, session, the client's Node): ${spread(emptyMs)}`)
    out(`changed:   docker build ${spread(bkChanged)}`)
    out(`changed:   dirk run     ${spread(dirkChanged)}`)
    out(`  in the session: host.directory ${spread(hashChanged)}; the pipeline ${spread(pipeChanged)}`)
    out("")
    out("a changed run, dirk op by op (a fresh engine, one request per op; its Docker calls through a logging proxy):")
    for (const [name, r] of Object.entries(prof.steps)) {
      const calls = DockerTap.summary(tap.between(r.startUs!, r.endUs!))
      out(`  ${fmtMs(r.ms[0]!).padStart(8)}  ${name}${calls.length > 0 ? `: ${calls.slice(0, 4).map(([k, n, ms]) => `${k.replace("/containers/:id/", "")}${n > 1 ? ` ×${n}` : ""} ${fmtMs(ms)}`).join(", ")}` : ""}`)
    }
    out(`  ${fmtMs(prof.ms).padStart(8)}  whole dirk run`)
    out(`the Docker floor of that copy: docker cp of the tree into a container ${fmtMs(cpFloor.cp)}, docker commit ${fmtMs(cpFloor.commit)}`)
    out(`the same change, BuildKit's steps (docker build --progress=plain, ${fmtMs(plain.ms)} in all):`)
    const names = new Map<string, string>()
    for (const line of plain.stderr.split("\n")) {
      const m = /^#(\d+) (.*)$/.exec(line)
      if (m !== null && !names.has(m[1]!)) names.set(m[1]!, m[2]!.slice(0, 70))
      const d = /^#(\d+) (DONE [\d.]+s|CACHED)/.exec(line)
      if (d !== null && names.has(d[1]!)) out(`  ${d[2]!.padStart(10)}  ${names.get(d[1]!)}`)
    }
  } finally {
    await engine.close()
    await run("docker", ["rmi", tag]).catch(() => undefined)
    if (process.env.DIRK_BENCH_KEEP !== "1") fs.rmSync(tmp, { recursive: true, force: true })
    else out(`kept ${tmp}`)
  }
}

if (isMain(import.meta.url)) runMain(main)
