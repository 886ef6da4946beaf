// The web app's request checks: which writes count as cross-site (CSRF), and which redirect targets are local.
import { describe, expect, it } from "@effect/vitest"
import { isCrossSiteWrite, safeNext } from "../src/server/security.ts"

const post = (headers: Record<string, string>, url = "http://lectern.test/_server?id=x") =>
  new Request(url, { method: "POST", headers, body: "x" })

describe("isCrossSiteWrite", () => {
  it("lets reads through whatever their origin", () => {
    const read = new Request("http://lectern.test/courses", { headers: { origin: "https://evil.example" } })
    expect(isCrossSiteWrite(read, undefined)).toBe(false)
  })

  it("accepts a write from the page's own origin or from PUBLIC_URL's", () => {
    expect(isCrossSiteWrite(post({ origin: "http://lectern.test" }), undefined)).toBe(false)
    expect(isCrossSiteWrite(post({ origin: "https://learn.example" }), "https://learn.example/")).toBe(false)
  })

  it("refuses a write from another origin, another port or another scheme", () => {
    expect(isCrossSiteWrite(post({ origin: "https://evil.example" }), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ origin: "http://lectern.test:8080" }), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ origin: "https://lectern.test" }), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ origin: "https://evil.example" }), "https://learn.example")).toBe(true)
  })

  it("without an Origin, accepts only what the browser marks same-origin", () => {
    expect(isCrossSiteWrite(post({}), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ origin: "null" }), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ "sec-fetch-site": "cross-site" }), undefined)).toBe(true)
    expect(isCrossSiteWrite(post({ "sec-fetch-site": "same-origin" }), undefined)).toBe(false)
  })
})

describe("safeNext", () => {
  it("keeps local paths with their query", () => {
    expect(safeNext("/courses/typescript?enrolled=1")).toBe("/courses/typescript?enrolled=1")
    expect(safeNext("/")).toBe("/")
  })

  it("sends anything that could leave the site to the home page", () => {
    for (const target of ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "", "javascript:x"]) {
      expect(safeNext(target)).toBe("/")
    }
  })
})
