// An article lesson: the server's sanitised HTML of its markdown, and a button that marks it complete.
import { useAction } from "@solidjs/router"
import { createSignal, Show } from "solid-js"
import { completeLesson, failureText } from "../../lib/learning.ts"

export default function ArticleLesson(props: {
  readonly lessonId: string
  readonly html: string
  readonly completed: boolean
}) {
  const complete = useAction(completeLesson)
  const [busy, setBusy] = createSignal(false)
  const [message, setMessage] = createSignal<{ readonly ok: boolean; readonly text: string } | undefined>()
  const markComplete = async () => {
    setBusy(true)
    const result = await complete(props.lessonId).catch(() => undefined)
    setBusy(false)
    if (result === undefined) setMessage({ ok: false, text: "This could not be saved. Try again." })
    else if (!result.ok) setMessage({ ok: false, text: failureText(result.error) })
    else setMessage({ ok: true, text: "Marked complete." })
  }
  return (
    <div class="article-lesson">
      {/* Rendered and sanitised on the server (marked + sanitize-html: no scripts, styles or event handlers). */}
      <div class="article-body" innerHTML={props.html} />
      <div class="lesson-actions">
        <Show
          when={!props.completed}
          fallback={
            <p class="notice" data-testid="lesson-completed">
              ✓ You completed this lesson.
            </p>
          }
        >
          <button type="button" class="button" onClick={markComplete} disabled={busy()} data-testid="mark-complete">
            {busy() ? "Saving…" : "Mark complete"}
          </button>
        </Show>
        <Show when={message()}>
          {(shown) => (
            <p class={shown().ok ? "notice" : "form-error"} role={shown().ok ? "status" : "alert"}>
              {shown().text}
            </p>
          )}
        </Show>
      </div>
    </div>
  )
}
