/**
 * Services through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/service.mjs
 * binds, starts, stops and tunnels services, and prints what each step returned.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { docker, runCompat, type Steps } from "../support/compat.js"

let out: Steps

beforeAll(async () => {
  out = await runCompat("service.mjs")
})
// `from(registryService)` pulls through a loopback forward: Docker keeps the image under that name (services.md)
afterAll(() => {
  const names = docker("images", "--format", "{{.Repository}}:{{.Tag}}").split("\n").filter((n) => /^127\.0\.0\.1:\d+\/dirk-services:/.test(n))
  if (names.length > 0) docker("rmi", ...names)
})

describe("Service, through Dagger's client", () => {
  it("a client exec fetches from a bound httpd, by alias and by hostname", () => {
    expect(out.binding).toMatch(/^web [0-9a-f]{12}$/)
    expect(out.byHostname).toBe(out.binding)
  })

  it("hostname, endpoint and ports", () => {
    expect(out.hostname).toMatch(/^[a-z2-7]{13}$/)
    expect(out.endpoint).toEqual({
      plain: `${out.hostname}:80`,
      port: `${out.hostname}:8080`,
      url: `http://${out.hostname}:80`
    })
    expect(out.ports).toEqual([[80, "TCP"]])
  })

  it("withHostname: the service is reached by its alias and by the hostname given", () => {
    expect(out.withHostname.hostname).toBe("myweb")
    expect(out.withHostname.fetched).toMatch(/^named [0-9a-f]{12}\nnamed [0-9a-f]{12}$/)
  })

  it("sync", () => {
    expect(out.sync).toBe(true)
  })

  it("start, a tunnel from the host, stop", () => {
    expect(out.startStop).toEqual({ body: expect.stringMatching(/^started /), sameId: true, url: true })
  })

  it("a native tunnel listens on the service's own port", () => {
    expect(out.tunnelNative).toEqual({ endpoint: "localhost:18093", body: expect.stringMatching(/^native /) })
  })

  it("host.service: a container reaches a server on the client's host", () => {
    expect(out.hostService).toMatch(/^from the host [0-9a-f]{12}$/)
  })

  it("a service that binds another service", () => {
    expect(out.serviceBindsService).toMatch(/^back [0-9a-f]{12}$/)
  })

  it("a registry run as a service: publish(registryService) and from(registryService)", () => {
    expect(out.registryService).toEqual({ published: true, marker: expect.stringMatching(/^[0-9a-f]{12}$/), imageRef: true })
  })

  it("a binding alias that is not a hostname is an error naming it", () => {
    expect(out.badAlias.error).toMatch(/alias "not a hostname" is not a valid hostname/)
  })

  it("a service whose command exits: its exit code and output in the error", () => {
    expect(out.exitingService.error).toMatch(/exited with code 7/)
    expect(out.exitingService.error).toMatch(/about to fail/)
  })
})
