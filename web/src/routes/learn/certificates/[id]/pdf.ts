// GET /learn/certificates/<id>/pdf: the holder's certificate PDF, streamed from the learning service with the
// cookie's session (the service wants a bearer token, which page scripts never see).
import type { APIEvent } from "@solidjs/start/server"
import { fetchAsSession, pickHeaders } from "../../../../server/forward.ts"
import { certificatePdfPath } from "../../../../server/learning.ts"

export async function GET(event: APIEvent) {
  const path = await certificatePdfPath(event.params.id ?? "")
  if (!path.ok) {
    const status = path.error._tag === "Unauthorized" ? 401 : 404
    return new Response(status === 401 ? "sign in first\n" : "no such certificate\n", {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" }
    })
  }
  const response = await fetchAsSession(path.value)
  return new Response(response.body, {
    status: response.status,
    headers: pickHeaders(response.headers, [
      "content-type",
      "content-length",
      "content-disposition",
      "cache-control",
      "x-content-type-options"
    ])
  })
}
