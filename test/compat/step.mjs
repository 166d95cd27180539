// Shared by the compatibility scripts: runs one step and records its value, or its error as described by `describe`.
export const errorMessage = (e) => ({ error: String(e?.message ?? e) })

export const step = async (results, name, f, describe = errorMessage) => {
  if (process.env.DIRK_COMPAT_TRACE) process.stderr.write(`step ${name}\n`)
  try {
    results[name] = await f()
  } catch (e) {
    results[name] = describe(e)
  }
}
