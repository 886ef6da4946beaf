// POST /learn/uploads: creates a tus upload at media as the signed-in learner (see src/server/uploads.ts).
import type { APIEvent } from "@solidjs/start/server"
import { forwardUpload } from "../../../server/uploads.ts"

export const POST = (event: APIEvent) => forwardUpload(event.request, undefined)
