// Creator applications: pending first (or by status), each with the applicant, and approve or reject with notes.
import { Title } from "@solidjs/meta"
import { A, createAsync, useSearchParams, useSubmission } from "@solidjs/router"
import { createUniqueId, For, Show } from "solid-js"
import AdminNav from "../../components/admin/AdminNav.tsx"
import Loaded from "../../components/Loaded.tsx"
import { TextAreaField } from "../../components/studio/Fields.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { failureOf } from "../../components/studio/results.ts"
import { type ApplicationsPage, decideApplication, getApplications } from "../../lib/admin.ts"
import { formatDate } from "../../lib/format.ts"

type Application = ApplicationsPage["items"][number]

const STATUSES: ReadonlyArray<readonly [string, string]> = [
  ["pending", "Pending"],
  ["approved", "Approved"],
  ["rejected", "Rejected"]
]

function Decision(props: { readonly application: Application }) {
  const key = createUniqueId()
  const submission = useSubmission(decideApplication, ([form]) => form.get("applicationId") === props.application.id)
  const failed = () => failureOf(submission.result)
  return (
    <form action={decideApplication} method="post" novalidate>
      <input type="hidden" name="applicationId" value={props.application.id} />
      <TextAreaField
        name="reviewerNotes"
        label="Notes to the applicant"
        hint="Required when rejecting."
        idPrefix={key}
        rows={2}
        failure={failed()}
      />
      <Show when={failed() !== undefined && failed()?.field === undefined}>
        <p class="form-error" role="alert">
          {failed()?.message}
        </p>
      </Show>
      <div class="row-actions">
        <button type="submit" name="decision" value="approve" class="button" disabled={submission.pending}>
          Approve
        </button>
        <button
          type="submit"
          name="decision"
          value="reject"
          class="button button-secondary"
          disabled={submission.pending}
        >
          Reject
        </button>
      </div>
    </form>
  )
}

export default function AdminApplications() {
  const [params] = useSearchParams<{ status?: string; cursor?: string }>()
  const page = createAsync(() => getApplications(params.status, params.cursor))
  const status = () => params.status ?? "pending"
  return (
    <>
      <Title>Creator applications — Admin — Lectern</Title>
      <h1>Creator applications</h1>
      <AdminNav />
      <ul class="nav-list filters-inline" aria-label="Show applications">
        <For each={STATUSES}>
          {([value, label]) => (
            <li>
              <A href={`?status=${value}`} aria-current={status() === value ? "page" : undefined}>
                {label}
              </A>
            </li>
          )}
        </For>
      </ul>
      <Loaded outcome={page()} loading="Loading applications…" failed={(failure) => <Refused failure={failure} />}>
        {(value) => (
          <>
            <Show when={value.items.length > 0} fallback={<p class="empty">No {status()} applications.</p>}>
              <ul class="plain-list">
                <For each={value.items}>
                  {(application) => (
                    <li class="studio-panel" data-testid="application">
                      <h2>
                        {application.applicant?.name ?? `User ${application.userId.slice(0, 8)}`}
                        <Show when={application.applicant}>
                          {(user) => <span class="hint"> · {user().email}</span>}
                        </Show>
                      </h2>
                      <p class="hint">
                        Sent {formatDate(application.createdAt)} · {application.experienceYears} years of experience ·
                        topics: {application.topics.join(", ")}
                      </p>
                      <p class="description">{application.bio}</p>
                      <Show when={application.portfolioUrl}>
                        {(url) => (
                          <p>
                            Portfolio:{" "}
                            <a href={url()} rel="noopener noreferrer nofollow" target="_blank">
                              {url()}
                            </a>
                          </p>
                        )}
                      </Show>
                      <Show
                        when={application.status === "pending"}
                        fallback={
                          <p>
                            <span class={`status status-${application.status}`}>{application.status}</span>
                            <Show when={application.reviewerNotes}>{(notes) => <> — “{notes()}”</>}</Show>
                          </p>
                        }
                      >
                        <Decision application={application} />
                      </Show>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
            <Show when={value.nextCursor}>
              {(cursor) => (
                <p class="pager">
                  <A href={`?status=${status()}&cursor=${encodeURIComponent(cursor())}`}>More applications</A>
                </p>
              )}
            </Show>
          </>
        )}
      </Loaded>
    </>
  )
}
