// Progress heartbeats from the page: posted to the web app's heartbeat route one at a time and in order, or with
// `keepalive` when the page is going away. Shared by the video player and embed lessons.
import { HEARTBEAT_PATH, type LessonProgress } from "./learning.ts"
import type { Outcome } from "./outcome.ts"

const post = (body: string, keepalive: boolean) =>
  fetch(HEARTBEAT_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    keepalive,
    credentials: "same-origin"
  }).then((response) => response.json() as Promise<Outcome<LessonProgress>>)

export interface HeartbeatSender {
  /** Posts `body` after the ones before it; `onSaved` gets the status line to show (undefined: nothing to say). */
  readonly send: (body: string) => void
  /** The page is going away: no answer will be read, so the request must outlive the page. */
  readonly sendFinal: (body: string) => void
}

export const makeHeartbeatSender = (options: {
  readonly onProgress: (progress: LessonProgress) => void
  readonly onSaved: (message: string | undefined) => void
}): HeartbeatSender => {
  let queue: Promise<void> = Promise.resolve()
  return {
    send: (body) => {
      queue = queue
        .then(() => post(body, false))
        .then((result) => {
          if (result.ok) {
            options.onSaved(result.value.status === "completed" ? "Lesson complete." : undefined)
            options.onProgress(result.value)
          } else {
            options.onSaved(`Progress was not saved: ${result.error.message || result.error._tag}`)
          }
        })
        .catch(() => {
          options.onSaved("Progress could not be saved (offline?).")
        })
    },
    sendFinal: (body) => {
      void post(body, true).catch(() => undefined)
    }
  }
}
