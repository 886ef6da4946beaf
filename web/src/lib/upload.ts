// A learner's file upload in the browser: tus-js-client (loaded on demand) against the web app's proxied tus endpoint,
// in chunks under the gateway's 1 MiB limit for web-app requests, resumable after a reload of the page.
import { UPLOADS_PATH } from "./learning.ts"

/** Each PATCH carries at most this much: a web-app request body is capped at 1 MiB by the gateway. */
export const UPLOAD_CHUNK_BYTES = 512 * 1024
/** Media's limit for a learner's file (MEDIA_LEARNER_MAX_BYTES' default), checked here before sending anything. */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024

export interface UploadHandle {
  /** Resolves with the upload id once every byte arrived. */
  readonly done: Promise<string>
  readonly abort: () => void
}

const statusMessage = (status: number | undefined) => {
  switch (status) {
    case 401:
      return "Your session has ended. Sign in again, then retry."
    case 413:
      return "This file is larger than you may upload, or your storage quota is used up."
    case undefined:
      return "The upload was interrupted. Check your connection and retry."
    default:
      return `The upload failed (HTTP ${status}). Retry in a moment.`
  }
}

export const uploadFile = (file: File, onProgress: (sent: number, total: number) => void): UploadHandle => {
  let abort = (): void => undefined
  const done = import("tus-js-client").then(
    ({ Upload }) =>
      new Promise<string>((resolve, reject) => {
        const upload = new Upload(file, {
          endpoint: UPLOADS_PATH,
          chunkSize: UPLOAD_CHUNK_BYTES,
          retryDelays: [0, 1000, 3000, 5000],
          removeFingerprintOnSuccess: true,
          metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
          onProgress,
          onError: (error) => {
            const status = "originalResponse" in error ? error.originalResponse?.getStatus() : undefined
            reject(new Error(statusMessage(status === 0 ? undefined : status)))
          },
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
