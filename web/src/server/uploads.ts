// The learner's tus endpoint in the web app: `/learn/uploads[/<id>]` forwards tus requests to media's
// `/media/uploads` with the cookie's session as the bearer token, so attachments upload resumably without any token
// reaching page scripts. The gateway gives a web-app request at most 1 MiB of body: the page uploads in smaller
// chunks (UPLOAD_CHUNK_BYTES).
import "server-only"
import { UPLOADS_PATH } from "../lib/learning.ts"
import { fetchAsSession, pickHeaders } from "./forward.ts"

const MEDIA_UPLOADS = "/media/uploads"

const REQUEST_HEADERS = [
  "tus-resumable",
  "upload-length",
  "upload-defer-length",
  "upload-metadata",
  "upload-offset",
  "upload-concat",
  "content-type"
]

const RESPONSE_HEADERS = [
  "tus-resumable",
  "tus-version",
  "tus-max-size",
  "tus-extension",
  "upload-offset",
  "upload-length",
  "upload-metadata",
  "upload-expires",
  "upload-defer-length",
  "cache-control",
  "content-type"
]

const UPLOAD_ID = /^[A-Za-z0-9_-]{8,64}$/

/** Forwards one tus request; `id` is the upload's id (absent for the creating POST). */
export const forwardUpload = async (request: Request, id: string | undefined): Promise<Response> => {
  if (id !== undefined && !UPLOAD_ID.test(id)) return new Response("no such upload\n", { status: 404 })
  const hasBody = request.method === "POST" || request.method === "PATCH"
  const body = hasBody ? new Uint8Array(await request.arrayBuffer()) : undefined
  const response = await fetchAsSession(id === undefined ? MEDIA_UPLOADS : `${MEDIA_UPLOADS}/${id}`, {
    method: request.method,
    headers: pickHeaders(request.headers, REQUEST_HEADERS),
    ...(body !== undefined && body.length > 0 ? { body } : {})
  })
  const headers = pickHeaders(response.headers, RESPONSE_HEADERS)
  const location = response.headers.get("location")
  if (location !== null) {
    const created = location.split("/").pop() ?? ""
    if (UPLOAD_ID.test(created)) headers.set("location", `${UPLOADS_PATH}/${created}`)
  }
  const text = request.method === "HEAD" ? null : await response.arrayBuffer()
  return new Response(text === null || text.byteLength === 0 ? null : text, { status: response.status, headers })
}
