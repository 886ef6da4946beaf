// The dev mailbox: mail the platform "sent" while it runs on embedded defaults (no SMTP), newest first.
import { Title } from "@solidjs/meta"
import { createAsync, useSearchParams } from "@solidjs/router"
import { For, Show } from "solid-js"
import Loaded from "../../components/Loaded.tsx"
import { getOutbox } from "../../lib/account.ts"
import { formatDate } from "../../lib/format.ts"

export default function Mailbox() {
  const [params] = useSearchParams<{ to?: string }>()
  const outbox = createAsync(() => getOutbox(params.to))
  return (
    <>
      <Title>Dev mailbox — Lectern</Title>
      <h1>Dev mailbox</h1>
      <p class="hint">Without SMTP_URL, Lectern keeps the mail it sends here instead of delivering it.</p>
      <search>
        <form method="get" class="search-form">
          <label for="mailbox-to">Recipient</label>
          <div class="search-row">
            <input id="mailbox-to" name="to" type="email" value={params.to ?? ""} placeholder="learner@example.com" />
            <button type="submit" class="button">
              Filter
            </button>
          </div>
        </form>
      </search>
      <Loaded
        outcome={outbox()}
        loading="Loading mail…"
        failed={(failure) => (
          <p class="form-error" role="alert">
            {failure._tag === "NotAvailable"
              ? "The dev mailbox is off: this server delivers mail by SMTP."
              : failure.message || "The mailbox could not be read."}
          </p>
        )}
      >
        {(mails) => (
          <Show when={mails.length > 0} fallback={<p class="empty">No mail yet.</p>}>
            <ul class="plain-list" aria-label="Sent mail">
              <For each={mails}>
                {(mail) => (
                  <li class="mail" data-testid="mail">
                    <h2>{mail.subject}</h2>
                    <p class="mail-meta">
                      To {mail.to} · {formatDate(mail.sentAt)}
                    </p>
                    <pre>{mail.text}</pre>
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
