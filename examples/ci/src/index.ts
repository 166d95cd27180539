/**
 * A Dagger module, written with Dagger's own TypeScript SDK, that tests and builds examples/greeter-lib.
 *
 * Every function runs in `dirk.local/node:20`: an image built locally by scripts/setup.sh from the machine's own
 * node binary (plus busybox), never pulled from a registry. The containers need no network and the library needs
 * no `npm install`: its tests use `node --test` and its build is `node build.mjs`.
 *
 *   dirk call -m examples/ci test --source examples/greeter-lib
 *   dirk call -m examples/ci build --source examples/greeter-lib -o /tmp/greeter-dist
 */
import { Container, dag, Directory, func, object } from "@dagger.io/dagger"

/** The Node image every function uses (built locally by scripts/setup.sh; override nothing, pull nothing). */
const NODE_IMAGE = "dirk.local/node:20"

/** Where the source is copied inside the container (also the working directory). */
const WORKDIR = "/src"

/**
 * CI for a small Node library: run its tests, lint it, build it, or get a container to explore it.
 */
@object()
export class Ci {
  /**
   * A Node container with the source copied to /src, which is also the working directory.
   */
  @func()
  env(source: Directory): Container {
    return dag.container().from(NODE_IMAGE).withDirectory(WORKDIR, source).withWorkdir(WORKDIR)
  }

  /**
   * Runs the library's tests with `node --test` and returns their output (TAP).
   */
  @func()
  async test(source: Directory): Promise<string> {
    return this.env(source).withExec(["node", "--test"]).stdout()
  }

  /**
   * Checks that every source file parses; with strict, also rejects TODO/FIXME and trailing whitespace.
   */
  @func()
  async lint(source: Directory, strict: boolean = false): Promise<string> {
    const args = strict ? ["node", "lint.mjs", "--strict"] : ["node", "lint.mjs"]
    return this.env(source).withExec(args).stdout()
  }

  /**
   * Builds the library with `node build.mjs` and returns its dist/ directory (the files and manifest.json).
   */
  @func()
  build(source: Directory): Directory {
    return this.env(source).withExec(["node", "build.mjs"]).directory(`${WORKDIR}/dist`)
  }
}
