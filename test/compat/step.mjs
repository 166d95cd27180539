// Shared by the compatibility scripts: runs one step and records its value, or its error as described by `describe`
// (a failed step is recorded, it does not abort the script).
import { ExecError } from "@dagger.io/dagger"

/** An error as JSON: its message; for Dagger's ExecError also what the exec returned. */
export const errorMessage = (e) =>
  e instanceof ExecError
    ? { error: String(e.message), execError: { exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr, cmd: e.cmd, message: e.message } }
    : { error: String(e?.message ?? e) }

export const step = async (results, name, f, describe = errorMessage) => {
  if (process.env.DIRK_COMPAT_TRACE) process.stderr.write(`step ${name}\n`)
  try {
    results[name] = await f()
  } catch (e) {
    results[name] = describe(e)
  }
}
