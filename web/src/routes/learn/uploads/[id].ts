// HEAD, PATCH and DELETE /learn/uploads/<id>: resume, send and cancel a learner's tus upload (src/server/uploads.ts).
import type { APIEvent } from "@solidjs/start/server"
import { forwardUpload } from "../../../server/uploads.ts"

export const HEAD = (event: APIEvent) => forwardUpload(event.request, event.params.id)
export const PATCH = (event: APIEvent) => forwardUpload(event.request, event.params.id)
export const DELETE = (event: APIEvent) => forwardUpload(event.request, event.params.id)
