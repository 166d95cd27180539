/**
 * Property test of pipeline.ts on the recording test runtime: no containers, the real engine above it. For any set
 * of packages and any behaviour of their tests (pass, fail, flaky n times), the report is right and each test ran
 * exactly as often as the retry policy says.
 */
import { Effect } from "effect"
import * as fc from "fast-check"
import { TestRuntime } from "dirk/client"
import { assert, describe, it } from "vitest"
import { ci, flakyExitCode, retries, sampleRepo } from "./pipeline.js"

type Behaviour =
  | { readonly _tag: "Pass" }
  | { readonly _tag: "Fail"; readonly exitCode: number }
  | { readonly _tag: "Flaky"; readonly times: number }

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constant({ _tag: "Pass" as const }),
  fc.record({ _tag: fc.constant("Fail" as const), exitCode: fc.integer({ min: 1, max: 74 }) }),
  fc.record({ _tag: fc.constant("Flaky" as const), times: fc.integer({ min: 1, max: 4 }) })
)

const repo = fc.uniqueArray(
  fc.record({ pkg: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), behaviour }),
  { minLength: 1, maxLength: 8, selector: (p) => p.pkg }
)

// the test runtime's rules: `npm test` in each package behaves as drawn
const rulesFor = (pkgs: ReadonlyArray<{ readonly pkg: string; readonly behaviour: Behaviour }>) =>
  pkgs.map(({ behaviour: b, pkg }) =>
    TestRuntime.execWhere(`npm test in ${pkg}`, (e) => e.args.join(" ") === "npm test" && e.workdir === `/repo/packages/${pkg}`, (e) => {
      switch (b._tag) {
        case "Pass":
          return { stdout: "ok\n" }
        case "Fail":
          return { exitCode: b.exitCode, stderr: `${pkg}: ${b.exitCode} failing` }
        case "Flaky":
          return e.attempt < b.times ? { exitCode: flakyExitCode, stderr: "flaky" } : { stdout: "ok\n" }
      }
    })
  )

describe("pipeline.ts", () => {
  it("reports exactly the packages that fail after retries, and retries only flaky tests", async () => {
    await fc.assert(
      fc.asyncProperty(repo, async (pkgs) => {
        const names = pkgs.map((p) => p.pkg)
        const [report, execs] = await Effect.runPromise(
          ci("node:20", sampleRepo(names), names).pipe(
            Effect.zip(TestRuntime.execs),
            Effect.provide(TestRuntime.layer(rulesFor(pkgs), { unmatched: "fail" }))
          )
        )
        for (const { behaviour: b, pkg } of pkgs) {
          const runs = execs.filter((e) => e.workdir === `/repo/packages/${pkg}`).length
          const failed = report.failed.find((f) => f.pkg === pkg)
          switch (b._tag) {
            case "Pass":
              assert.include(report.passed, pkg)
              assert.strictEqual(runs, 1)
              break
            case "Fail":
              assert.deepStrictEqual(failed, { pkg, exitCode: b.exitCode, stderr: `${pkg}: ${b.exitCode} failing` })
              assert.strictEqual(runs, 1, "a real failure is not retried")
              break
            case "Flaky":
              if (b.times <= retries) {
                assert.include(report.passed, pkg)
                assert.strictEqual(runs, b.times + 1)
              } else {
                assert.strictEqual(failed?.exitCode, flakyExitCode)
                assert.strictEqual(runs, retries + 1)
              }
          }
        }
        assert.strictEqual(report.passed.length + report.failed.length, pkgs.length)
      }),
      { numRuns: 30 }
    )
  })

  it("runs a passing test once, however often the pipeline asks (the engine caches it)", async () => {
    const names = ["a", "b"]
    const execs = await Effect.runPromise(
      ci("node:20", sampleRepo(names), names).pipe(
        Effect.zipRight(ci("node:20", sampleRepo(names), names)),
        Effect.zipRight(TestRuntime.execs),
        Effect.provide(TestRuntime.layer([]))
      )
    )
    assert.deepStrictEqual(execs.map((e) => e.workdir).sort(), ["/repo/packages/a", "/repo/packages/b"])
  })
})
