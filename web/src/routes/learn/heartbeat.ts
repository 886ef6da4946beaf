// POST /learn/heartbeat: the player's progress heartbeat (JSON, also sent with `keepalive` on pause and page hide),
// decoded with the contract's Schema and forwarded through `@lectern/client` as the cookie's session.
import type { APIEvent } from "@solidjs/start/server"
import { forwardHeartbeat } from "../../server/learning.ts"

export async function POST(event: APIEvent) {
  let body: unknown
  try {
    body = await event.request.json()
  } catch {
    return Response.json({ ok: false, error: { _tag: "InvalidInput", message: "not JSON" } }, { status: 400 })
  }
  // Typed failures answer 200 with `ok: false`: a refreshed session's cookies only ride on successful responses.
  return Response.json(await forwardHeartbeat(body), { headers: { "cache-control": "no-store" } })
}
