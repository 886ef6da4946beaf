// A course's learners (enrollment.roster): their names, when they joined, their progress and completion, in keyset pages.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteSectionProps, useSearchParams } from "@solidjs/router"
import { For, Show } from "solid-js"
import Loaded from "../../../../components/Loaded.tsx"
import Refused from "../../../../components/studio/Refused.tsx"
import { formatDate } from "../../../../lib/format.ts"
import { getRoster, learnerLabel } from "../../../../lib/studio.ts"

export default function RosterPage(props: RouteSectionProps) {
  const [params] = useSearchParams<{ cursor?: string }>()
  const data = createAsync(() => getRoster(props.params.id ?? "", params.cursor))
  return (
    <Loaded outcome={data()} loading="Loading learners…" failed={(failure) => <Refused failure={failure} />}>
      {(value) => (
        <>
          <Title>{`Learners — ${value.course.title} — Studio — Lectern`}</Title>
          <nav aria-label="Breadcrumb" class="breadcrumb">
            <A href="/studio">Studio</A> › <A href={`/studio/courses/${value.course.id}`}>{value.course.title}</A> ›
            Learners
          </nav>
          <h1>Learners</h1>
          <p class="hint">{value.course.enrollmentCount} enrolled in total.</p>
          <Show when={value.page.items.length > 0} fallback={<p class="empty">Nobody has enrolled yet.</p>}>
            <div class="table-wrap">
              <table class="data-table">
                <caption class="visually-hidden">Learners of {value.course.title}</caption>
                <thead>
                  <tr>
                    <th scope="col">Learner</th>
                    <th scope="col">Enrolled</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Completed</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={value.page.items}>
                    {(entry) => (
                      <tr>
                        <td data-testid="roster-learner">{learnerLabel(entry.name, entry.userId)}</td>
                        <td>{formatDate(entry.enrolledAt)}</td>
                        <td>
                          <progress max="100" value={entry.progressPercent} aria-label="Progress">
                            {Math.round(entry.progressPercent)}%
                          </progress>{" "}
                          {Math.round(entry.progressPercent)}%
                        </td>
                        <td>{entry.completedAt ? formatDate(entry.completedAt) : "—"}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
          <Show when={value.page.nextCursor}>
            {(cursor) => (
              <p class="pager">
                <A href={`?cursor=${encodeURIComponent(cursor())}`}>Next learners</A>
              </p>
            )}
          </Show>
        </>
      )}
    </Loaded>
  )
}
