/**
 * Tar headers (POSIX ustar, with pax extended headers for what ustar cannot hold), encoded by hand so that packing a
 * tree costs a header per entry and one copy of the bytes, with no stream per entry. Pure: `Tar.pack` streams the
 * file contents between the headers.
 *
 * A header is 512 bytes; an entry's data follows, padded to 512; an archive ends with two zero blocks. Values that
 * do not fit ustar's fields (names over 100 bytes, link targets over 100 bytes, ids over 0o7777777, sizes of 8 GiB or
 * more, mtimes outside 0..0o77777777777) go into a pax header (`x`) before the entry, as GNU tar and Go's archive/tar
 * read them.
 */

/** The size of a tar block. */
export const BLOCK = 512

/**
 * One entry's header fields. `name` is relative, without a trailing `/` (directories get one in the archive).
 *
 * @category models
 */
export interface Header {
  readonly type: "file" | "dir" | "symlink"
  readonly name: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  /** Bytes of data that follow (files only; 0 otherwise). */
  readonly size: number
  /** Seconds since the epoch (whole). */
  readonly mtime: number
  /** A symlink's target, verbatim. */
  readonly linkname?: string | undefined
}

const typeflag = { file: "0", dir: "5", symlink: "2" } as const

/** Writes `value` as `width - 1` octal digits and a NUL, or returns false when it does not fit. */
const octal = (buf: Buffer, offset: number, width: number, value: number): boolean => {
  if (!Number.isSafeInteger(value) || value < 0) return false
  const s = value.toString(8)
  if (s.length > width - 1) return false
  buf.write(s.padStart(width - 1, "0"), offset, width - 1, "ascii")
  buf[offset + width - 1] = 0
  return true
}

/** One pax record: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record, itself included. */
export const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`
  const bodyLen = Buffer.byteLength(body)
  let len = bodyLen + 1
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen
  return `${len}${body}`
}

/** The fields of `h` as a ustar header block, with `overflow` collecting what did not fit (pax keys). */
const ustar = (h: Header, name: string, overflow: Array<[string, string]>): Buffer => {
  const b = Buffer.alloc(BLOCK)
  const nameBytes = Buffer.from(name)
  if (nameBytes.length <= 100) nameBytes.copy(b, 0)
  else {
    overflow.push(["path", name])
    nameBytes.subarray(0, 100).copy(b, 0)
  }
  const number = (offset: number, width: number, value: number, key: string) => {
    if (octal(b, offset, width, value)) return
    overflow.push([key, String(value)])
    octal(b, offset, width, 0)
  }
  octal(b, 100, 8, h.mode & 0o7777)
  number(108, 8, h.uid, "uid")
  number(116, 8, h.gid, "gid")
  number(124, 12, h.size, "size")
  number(136, 12, h.mtime, "mtime")
  b.write(typeflag[h.type], 156, 1, "ascii")
  if (h.linkname !== undefined) {
    const link = Buffer.from(h.linkname)
    if (link.length <= 100) link.copy(b, 157)
    else {
      overflow.push(["linkpath", h.linkname])
      link.subarray(0, 100).copy(b, 157)
    }
  }
  b.write("ustar\u000000", 257, 8, "ascii")
  return b
}

/** Fills in the checksum of a header block (the sum of its bytes with the checksum field read as spaces). */
const checksum = (b: Buffer): Buffer => {
  b.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += b[i]!
  b.write(sum.toString(8).padStart(6, "0"), 148, 6, "ascii")
  b[154] = 0
  b[155] = 0x20
  return b
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)

/** The two zero blocks that end an archive. */
export const trailer = (): Buffer => Buffer.alloc(2 * BLOCK)

/**
 * The header blocks of one entry: a pax header and its data when some value does not fit ustar, then the ustar
 * header. The entry's data (files) follows them, then `padding(size)`.
 */
export const encode = (h: Header): Buffer => {
  const name = h.type === "dir" && !h.name.endsWith("/") ? h.name + "/" : h.name
  const overflow: Array<[string, string]> = []
  const main = checksum(ustar(h, name, overflow))
  if (overflow.length === 0) return main
  const data = Buffer.from(overflow.map(([k, v]) => paxRecord(k, v)).join(""))
  const pax = ustar({ type: "file", name: "", mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0 }, "PaxHeader", [])
  pax.write("x", 156, 1, "ascii")
  return Buffer.concat([checksum(pax), data, padding(data.length), main])
}
