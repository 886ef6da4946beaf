// Dead-letter events: what each consumer group failed to handle, the last error, and re-driving one.
import { Title } from "@solidjs/meta"
import { createAsync, useSearchParams, useSubmission } from "@solidjs/router"
import { For, Show } from "solid-js"
import AdminNav from "../../components/admin/AdminNav.tsx"
import Loaded from "../../components/Loaded.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { failureOf, succeeded } from "../../components/studio/results.ts"
import { getDeadLetters, redriveDeadLetter } from "../../lib/admin.ts"
import { formatDate } from "../../lib/format.ts"

export default function EventsPage() {
  const [params] = useSearchParams<{ group?: string }>()
  const letters = createAsync(() => getDeadLetters(params.group))
  const redrive = useSubmission(redriveDeadLetter)
  return (
    <>
      <Title>Dead letters — Admin — Lectern</Title>
      <h1>Dead-letter events</h1>
      <AdminNav />
      <p class="hint">Events a consumer failed to handle five times. Re-drive one once its cause is fixed.</p>
      <search>
        <form method="get" class="search-form">
          <label for="events-group">Consumer group</label>
          <div class="search-row">
            <input id="events-group" name="group" value={params.group ?? ""} placeholder="All groups" />
            <button type="submit" class="button">
              Filter
            </button>
          </div>
        </form>
      </search>
      <Show when={failureOf(redrive.result)}>
        {(failure) => (
          <p class="form-error" role="alert">
            {failure().message}
          </p>
        )}
      </Show>
      <Show when={succeeded(redrive.result, "redriven") && !redrive.pending}>
        <p class="notice" role="status">
          Re-driven: the event is delivered to its group again.
        </p>
      </Show>
      <Loaded outcome={letters()} loading="Loading dead letters…" failed={(failure) => <Refused failure={failure} />}>
        {(items) => (
          <Show when={items.length > 0} fallback={<p class="empty">No dead letters. Every event was handled.</p>}>
            <ul class="plain-list">
              <For each={items}>
                {(letter) => (
                  <li class="studio-panel" data-testid="dead-letter">
                    <h2>
                      {letter.event.type} <span class="hint">→ {letter.group}</span>
                    </h2>
                    <p class="hint">
                      Failed {letter.attempts} times, last on {formatDate(letter.failedAt)}
                    </p>
                    <pre class="error-text">{letter.lastError}</pre>
                    <form action={redriveDeadLetter} method="post">
                      <input type="hidden" name="id" value={letter.id} />
                      <button type="submit" class="button button-small" disabled={redrive.pending}>
                        Re-drive
                      </button>
                    </form>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Loaded>
    </>
  )
}
