import { describe, expect, it } from "vitest"
import { invalidReference } from "../../../src/Runtime/Docker.js"

describe("image references", () => {
  it.each([
    "busybox",
    "busybox:latest",
    "dirk.local/busybox:latest",
    "127.0.0.1:5000/node:20",
    "localhost:5000/a/b/c:1.0",
    "ubuntu:22.04",
    "[::1]:5000/x",
    "busybox@sha256:" + "a".repeat(64),
    "sha256:" + "b".repeat(64)
  ])("accepts %s", (ref) => expect(invalidReference(ref)).toBeUndefined())

  it.each([
    ["", /empty/],
    ["http://x/y", /not a valid reference/],
    ["Busybox", /not a valid reference/],
    ["busybox:", /not a valid reference/],
    ["a b", /not a valid reference/],
    ["x".repeat(600), /too long/]
  ])("rejects %j", (ref, why) => expect(invalidReference(ref)).toMatch(why))
})
