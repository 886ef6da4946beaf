// Every browser upload (studio videos and captions, learners' attachments): tus-js-client, loaded on demand, straight
// to the gateway's `/media/uploads` with the session cookie — the gateway hands media the cookie's access token, so no
// token reaches page scripts — in large chunks, resumable after a reload. A 401 (the access token ran out during a
// long upload) renews the session's cookies through a server function, and the upload continues from its offset.
import type { DetailedError, HttpRequest, HttpResponse, Upload } from "tus-js-client"

/** Media's tus endpoint; the gateway accepts the session cookie there from pages of this site. */
export const MEDIA_UPLOADS_PATH = "/media/uploads"
/** Bytes per PATCH: the gateway streams them to media (no body cap), so chunks only bound what a retry resends. */
export const UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024
/** Media's limit for a learner's file (MEDIA_LEARNER_MAX_BYTES' default), checked here before sending anything. */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024

/**
 * Trades the refresh cookie for a new session, whose cookies come back with the answer (httpOnly); true while the
 * session lasts. Answers no token. A same-origin POST, so the web app's CSRF check covers it.
 */
export const refreshUploadSession = async (): Promise<boolean> => {
  "use server"
  const { refreshNow } = await import("../server/lectern.ts")
  return refreshNow()
}

/** A request answered 401: the session was renewed (retry) or is over (sign in again). */
class SessionRefused extends Error {
  readonly renewed: boolean
  constructor(renewed: boolean) {
    super(renewed ? "the session was renewed" : "the session has ended")
    this.renewed = renewed
  }
}

// Uploads running side by side that meet the expired token together renew it once.
let renewing: Promise<boolean> | undefined
const renewSession = () => {
  renewing ??= refreshUploadSession()
    .catch(() => false)
    .finally(() => {
      renewing = undefined
    })
  return renewing
}

type UploadOptions = ConstructorParameters<typeof Upload>[1]

/**
 * The tus options every browser upload shares. A 401 is turned into an error before tus-js-client reads the answer
 * (it would otherwise take a 401 to its HEAD for a vanished upload and start over): after renewing the cookies the
 * request is retried as a failed one, and a resumed upload asks media for its offset first.
 */
export const uploadOptions = (file: File): UploadOptions => ({
  endpoint: `${window.location.origin}${MEDIA_UPLOADS_PATH}`,
  chunkSize: UPLOAD_CHUNK_BYTES,
  retryDelays: [0, 1000, 3000, 5000],
  removeFingerprintOnSuccess: true,
  metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
  onAfterResponse: async (_request: HttpRequest, response: HttpResponse) => {
    if (response.getStatus() === 401) throw new SessionRefused(await renewSession())
  },
  onShouldRetry: (error: DetailedError) => {
    if (error.causingError instanceof SessionRefused) return error.causingError.renewed
    // tus-js-client's own rule: not for client errors other than a conflict or a lock, nor while offline.
    const status = error.originalResponse?.getStatus() ?? 0
    const clientError = status >= 400 && status < 500 && status !== 409 && status !== 423
    return !clientError && navigator.onLine !== false
  }
})

/** What a failed upload tells the person. */
export const uploadFailure = (error: Error): string => {
  const detailed = error as Partial<DetailedError>
  if (detailed.causingError instanceof SessionRefused && !detailed.causingError.renewed) {
    return "Your session has ended. Sign in again, then retry."
  }
  const status = detailed.originalResponse?.getStatus()
  switch (status) {
    case 401:
      return "Your session has ended. Sign in again, then retry."
    case 403:
      return "This upload was refused. Reload the page, then retry."
    case 413:
      return "This file is larger than you may upload, or your storage quota is used up."
    case undefined:
    case 0:
      return "The upload was interrupted. Check your connection and retry."
    default:
      return `The upload failed (HTTP ${status}). Retry in a moment.`
  }
}

export interface UploadHandle {
  /** Resolves with the upload id once every byte arrived. */
  readonly done: Promise<string>
  readonly abort: () => void
}

/** Uploads one file (a learner's attachment); the same file picked again after a reload continues where it stopped. */
export const uploadFile = (file: File, onProgress: (sent: number, total: number) => void): UploadHandle => {
  let abort = (): void => undefined
  const done = import("tus-js-client").then(
    ({ Upload }) =>
      new Promise<string>((resolve, reject) => {
        const upload = new Upload(file, {
          ...uploadOptions(file),
          onProgress,
          onError: (error) => reject(new Error(uploadFailure(error))),
          onSuccess: () => {
            const id = upload.url?.split("/").pop()
            if (id) resolve(id)
            else reject(new Error("The upload finished without an id."))
          }
        })
        abort = () => {
          void upload.abort(true)
          reject(new Error("Upload cancelled."))
        }
        void upload.findPreviousUploads().then((previous) => {
          const last = previous[0]
          if (last !== undefined) upload.resumeFromPreviousUpload(last)
          upload.start()
        })
      })
  )
  return { done, abort: () => abort() }
}
