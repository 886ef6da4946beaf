// Per-address rate limits through the web app: the gateway process serving the built web app, behind a trusted proxy
// (TRUST_PROXY), with one registration per address per hour. Registrations posted to the web app's server function
// count against each browser's address, not the loopback its server functions call from; forwarding headers sent
// straight to /rpc without the process's secret are ignored.
import { describe, expect, it } from "@effect/vitest"
import { startGatewayWithWebApp } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer } from "effect"

const PASSWORD = "a long and private passphrase"

/** The web app built when web/dist is stale (one build at a time), then the gateway as `npm start` runs it. */
class Gateway extends Effect.Service<Gateway>()("test/ForwardingGateway", {
  scoped: startGatewayWithWebApp({
    ACCESS_LOG: "false",
    LECTERN_DEMO_CONTENT: "false",
    TRUST_PROXY: "true",
    AUTH_REGISTRATIONS_PER_IP_PER_HOUR: "1"
  })
}) {}

let sequence = 0
const newEmail = () => `forwarded.${Date.now()}.${++sequence}@example.com`

/** Posts the register form, as a browser without scripts would, from `address` (the proxy's X-Forwarded-For). */
const registerThroughWebApp = (url: string, action: string, address: string) =>
  Effect.promise(async () => {
    const form = new FormData()
    form.set("name", "Forwarded")
    form.set("email", newEmail())
    form.set("password", PASSWORD)
    const response = await fetch(new URL(action, url), {
      method: "POST",
      redirect: "manual",
      headers: { origin: url, "x-forwarded-for": address },
      body: form
    })
    const flash = response.headers.getSetCookie().find((cookie) => cookie.startsWith("flash="))
    // The flash cookie tells the page what failed, never the password that was typed.
    if (flash !== undefined && decodeURIComponent(flash).includes(PASSWORD)) {
      throw new Error(`the flash cookie carries the password: ${flash}`)
    }
    return {
      registered: response.headers.get("location")?.startsWith("/verify-email") === true,
      tooMany: flash !== undefined && decodeURIComponent(flash).includes('"tag":"TooManyAttempts"')
    }
  })

/** `user.register` posted straight to the gateway's RPC endpoint with the given HTTP headers. */
const registerDirectly = (url: string, headers: Record<string, string>) =>
  Effect.promise(async () => {
    const message = {
      _tag: "Request",
      id: "1",
      tag: "user.register",
      payload: { email: newEmail(), password: PASSWORD, name: "Direct" },
      headers: [["x-lectern-client-ip", "198.51.100.200"]]
    }
    const response = await fetch(`${url}/rpc/auth`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/ndjson" },
      body: `${JSON.stringify(message)}\n`
    })
    const text = await response.text()
    return { registered: text.includes('"_tag":"Success"'), tooMany: text.includes("TooManyAttempts") }
  })

describe("client addresses through the web app", () => {
  it.layer(Layer.fresh(Gateway.Default), { timeout: 180_000 })((it) => {
    it.scoped("the web app forwards each browser's address; forwarding headers from outside are ignored", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const page = yield* Effect.promise(() => fetch(`${url}/register`).then((r) => r.text()))
        const action = /<form action="([^"]+)" method="post"/.exec(page)?.[1]?.replaceAll("&amp;", "&")
        expect(action).toMatch(/^\/_server\?id=/)
        if (action === undefined) return

        // Two browsers behind the proxy each get their own registration.
        expect(yield* registerThroughWebApp(url, action, "203.0.113.1")).toEqual({ registered: true, tooMany: false })
        expect(yield* registerThroughWebApp(url, action, "203.0.113.2")).toEqual({ registered: true, tooMany: false })
        // The first one's second is refused: its own bucket is spent.
        expect(yield* registerThroughWebApp(url, action, "203.0.113.1")).toEqual({ registered: false, tooMany: true })

        // Straight to /rpc: a forwarded address without the secret (or a guessed one), and an address inside the
        // RPC message, change nothing — the proxy's address counts, spent or fresh.
        const spoofed = { "x-lectern-forwarded-client": "203.0.113.99", "x-lectern-forwarding-secret": "a guess" }
        expect(yield* registerDirectly(url, { ...spoofed, "x-forwarded-for": "203.0.113.2" })).toEqual({
          registered: false,
          tooMany: true
        })
        expect(yield* registerDirectly(url, { ...spoofed, "x-forwarded-for": "203.0.113.3" })).toEqual({
          registered: true,
          tooMany: false
        })
        expect(yield* registerDirectly(url, { "x-forwarded-for": "203.0.113.3" })).toEqual({
          registered: false,
          tooMany: true
        })
        // 203.0.113.99 was never charged: the web app can still register a browser there.
        expect(yield* registerThroughWebApp(url, action, "203.0.113.99")).toEqual({ registered: true, tooMany: false })
      })
    )
  })
})
