/**
 * A CI pipeline written with the typed client: test every package of a monorepo in parallel (at most four at a
 * time), retry a test that exits with 75 (EX_TEMPFAIL: our convention for "flaky, try again") up to twice, and
 * report which packages passed and which failed (with their exit code and stderr), instead of stopping at the first
 * failure. See pipeline.test.ts for its property test, docs/effect.md for the walk-through.
 */
import { Effect, Schedule } from "effect"
import { Container, Directory } from "dirk/client"

/** A package's test failed for good. */
export interface Failure {
  readonly pkg: string
  readonly exitCode: number
  readonly stderr: string
}

export interface Report {
  readonly passed: ReadonlyArray<string>
  readonly failed: ReadonlyArray<Failure>
}

/** The exit code that means "flaky: run me again". */
export const flakyExitCode = 75
/** How many times a flaky test is retried. */
export const retries = 2

/** `npm test` in one package of `source`, retried while it exits with the flaky code. */
export const testPackage = (image: string, source: Directory.Directory, pkg: string) =>
  Container.from(image).pipe(
    Container.withDirectory("/repo", source),
    Container.withWorkdir(`/repo/packages/${pkg}`),
    Container.withExec(["npm", "test"]),
    Container.stdout,
    Effect.retry({
      schedule: Schedule.recurs(retries),
      while: (e) => e._tag === "ExecError" && e.exitCode === flakyExitCode
    })
  )

/** Tests every package; fails only when the engine or the session does, not when tests fail. */
export const ci = (image: string, source: Directory.Directory, packages: ReadonlyArray<string>) =>
  Effect.forEach(
    packages,
    (pkg) =>
      testPackage(image, source, pkg).pipe(
        Effect.as({ pkg, ok: true as const }),
        Effect.catchTag("ExecError", (e) => Effect.succeed({ pkg, ok: false as const, exitCode: e.exitCode, stderr: e.stderr }))
      ),
    { concurrency: 4 }
  ).pipe(
    Effect.map((results): Report => ({
      passed: results.filter((r) => r.ok).map((r) => r.pkg),
      failed: results.flatMap((r) => (r.ok ? [] : [{ pkg: r.pkg, exitCode: r.exitCode, stderr: r.stderr }]))
    }))
  )

/** A tiny monorepo made in the engine (a real pipeline would take `Host.directory(".")`). */
export const sampleRepo = (packages: ReadonlyArray<string>): Directory.Directory =>
  packages.reduce(
    (dir, pkg) => dir.pipe(Directory.withNewFile(`packages/${pkg}/package.json`, JSON.stringify({ name: pkg }))),
    Directory.make()
  )
