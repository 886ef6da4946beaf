// The web app's flash cookie (SolidStart's answer to a failed no-JavaScript form post) never carries a password or a
// code back to the browser; everything else in it, and every other cookie, is unchanged.
import { describe, expect, it } from "@effect/vitest"
import { withoutSecretsInFlash } from "../src/WebApp.ts"

const flashOf = (input: unknown) =>
  `flash=${encodeURIComponent(
    JSON.stringify({ url: "/_server?id=register", result: "EmailTaken", thrown: true, error: true, input })
  )}; Secure; HttpOnly;`

const decode = (cookie: string) => JSON.parse(decodeURIComponent(cookie.slice("flash=".length, cookie.indexOf(";"))))

describe("flash cookies", () => {
  it("drop password, code and token fields of the submitted form and keep the rest", () => {
    const cookie = withoutSecretsInFlash(
      flashOf([
        [
          ["email", "ada@example.com"],
          ["name", "Ada"],
          ["password", "a long passphrase"],
          ["newPassword", "another one"],
          ["code", "123456"],
          ["resetToken", "t0k3n"]
        ]
      ])
    )
    expect(cookie).not.toContain("passphrase")
    expect(cookie).not.toContain("123456")
    expect(decode(cookie)).toEqual({
      url: "/_server?id=register",
      result: "EmailTaken",
      thrown: true,
      error: true,
      input: [
        [
          ["email", "ada@example.com"],
          ["name", "Ada"]
        ]
      ]
    })
    expect(cookie).toMatch(/; Secure; HttpOnly; SameSite=Lax;$/)
  })

  it("leave other cookies alone and clear a flash cookie of an unknown shape", () => {
    const session = "lectern_access=abc; Path=/; HttpOnly; SameSite=Lax"
    expect(withoutSecretsInFlash(session)).toBe(session)
    expect(withoutSecretsInFlash("flash=%7Bnot-json; HttpOnly")).toBe(
      "flash=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
    )
    const noInput = flashOf([])
    expect(decode(withoutSecretsInFlash(noInput)).input).toEqual([])
  })
})
