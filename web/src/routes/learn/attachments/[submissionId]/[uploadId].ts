// GET /learn/attachments/<submissionId>/<uploadId>: a submission's file, streamed from the learning service with
// the cookie's session (the submitter, the course's owner or an admin; anyone else gets the service's 404).
import { Learning } from "@lectern/contracts"
import type { APIEvent } from "@solidjs/start/server"
import { fetchAsSession, pickHeaders } from "../../../../server/forward.ts"

export async function GET(event: APIEvent) {
  const response = await fetchAsSession(
    Learning.attachmentPath(event.params.submissionId ?? "", event.params.uploadId ?? "")
  )
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
