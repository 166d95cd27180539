import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Protobuf from "../../../src/Runtime/internal/protobuf.js"

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))

/** The fields of a message by number, the last of a number winning (how the session reads the ID). */
const decodeFields = (buf: Buffer): Map<number, Buffer> =>
  new Map(Protobuf.fields(buf, "test").map((f) => [f.no, f.bytes] as const))

describe("protobuf: the session's messages", () => {
  it.prop("decodes what it encodes (length-delimited fields, the last of a number wins)", [
    fc.array(fc.tuple(fc.integer({ min: 1, max: 2000 }), bytes), { maxLength: 6 })
  ], ([fields]) => {
    const decoded = decodeFields(Protobuf.encode(fields))
    assert.deepStrictEqual(decoded, new Map(fields.map(([n, b]) => [n, b] as const)))
  })

  it("reads GetSecretRequest's ID next to its annotations map and varint fields; rejects a truncated message", () => {
    // ID = "token" (field 1), annotations (field 2, a nested message), and a varint field 3 = 300
    const msg = Buffer.concat([
      Protobuf.encode([[1, Buffer.from("token")], [2, Buffer.from([0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76])]]),
      Buffer.from([0x18, 0xac, 0x02])
    ])
    assert.strictEqual(decodeFields(msg).get(1)?.toString(), "token")
    assert.throws(() => decodeFields(Buffer.from([0x0a, 0x05, 0x61])), /truncated/)
  })
})
