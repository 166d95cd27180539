/**
 * The protobuf wire format, as far as the engine's messages with Docker's BuildKit need it: reading a message's
 * fields (varints and length-delimited ones; fixed-width fields skipped), and writing length-delimited ones.
 */

/**
 * A field of a message: its number, and its value (a varint in `int`, or the bytes of a length-delimited field).
 *
 * @category models
 */
export interface Field {
  readonly no: number
  /** For varints. */
  readonly int: number
  /** For length-delimited fields. */
  readonly bytes: Buffer
}

/**
 * The fields of one message, in order (varints and length-delimited fields; fixed-width ones are skipped). Throws on
 * malformed input, naming `what` the message is (`malformed <what> message: …`).
 *
 * @category constructors
 */
export const fields = (buf: Buffer, what: string): Array<Field> => {
  const malformed = (why: string): Error => new Error(`malformed ${what} message: ${why}`)
  const out: Array<Field> = []
  let pos = 0
  const varint = (): number => {
    let result = 0
    let factor = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw malformed("truncated varint")
      const byte = buf[pos++]!
      result += (byte & 0x7f) * factor
      if ((byte & 0x80) === 0) return result
      factor *= 128
    }
    throw malformed("varint too long")
  }
  const empty = Buffer.alloc(0)
  while (pos < buf.length) {
    const key = varint()
    const no = Math.floor(key / 8)
    const wire = key % 8
    switch (wire) {
      case 0:
        out.push({ no, int: varint(), bytes: empty })
        break
      case 1:
        pos += 8
        break
      case 2: {
        const len = varint()
        if (pos + len > buf.length) throw malformed("truncated field")
        out.push({ no, int: 0, bytes: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      case 5:
        pos += 4
        break
      default:
        throw malformed(`unsupported wire type ${wire}`)
    }
    if (pos > buf.length) throw malformed("truncated fixed-width field")
  }
  return out
}

const varint = (n: number): Buffer => {
  const out: Array<number> = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Buffer.from(out)
}

/**
 * A message of length-delimited fields (`[field number, bytes]`, in order).
 *
 * @category constructors
 */
export const encode = (fields: ReadonlyArray<readonly [number, Buffer]>): Buffer =>
  Buffer.concat(fields.flatMap(([n, b]) => [varint(n * 8 + 2), varint(b.length), b]))
