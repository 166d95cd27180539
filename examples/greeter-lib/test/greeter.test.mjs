import assert from "node:assert/strict"
import { test } from "node:test"
import { greet, reverse, slugify, titleCase, truncate } from "../src/index.js"

test("greet", () => {
  assert.equal(greet("Ada"), "Hello, Ada!")
  assert.equal(greet("  "), "Hello, world!")
  assert.equal(greet("Bob", { greeting: "Hi", shout: true }), "HI, BOB!")
})

test("titleCase", () => {
  assert.equal(titleCase("hello world"), "Hello World")
})

test("slugify", () => {
  assert.equal(slugify("Hello, World!"), "hello-world")
  assert.equal(slugify("  Crème brûlée  "), "creme-brulee")
})

test("reverse keeps code points", () => {
  assert.equal(reverse("abc"), "cba")
  assert.equal(reverse("a😀b"), "b😀a")
})

test("truncate", () => {
  assert.equal(truncate("hello", 10), "hello")
  assert.equal(truncate("hello world", 6), "hello…")
  assert.throws(() => truncate("x", 0), RangeError)
})
