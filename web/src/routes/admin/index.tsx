// The admin area's front page: what waits for a decision, and where to act on it.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition } from "@solidjs/router"
import AdminNav from "../../components/admin/AdminNav.tsx"
import Loaded from "../../components/Loaded.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { type AdminHome, getAdminHome } from "../../lib/admin.ts"

export const route = {
  preload() {
    void getAdminHome()
  }
} satisfies RouteDefinition

const count = (value: number | null) => (value === null ? "?" : String(value))

const queued = (queue: AdminHome["reviewQueue"]) =>
  queue === null ? "? courses" : `${queue.count}${queue.more ? "+" : ""} course${queue.count === 1 ? "" : "s"}`

export default function AdminHomePage() {
  const home = createAsync(() => getAdminHome())
  return (
    <>
      <Title>Admin — Lectern</Title>
      <Loaded outcome={home()} loading="Loading…" failed={(failure) => <Refused failure={failure} />}>
        {(value) => (
          <>
            <h1>Admin</h1>
            <AdminNav />
            <ul class="admin-cards">
              <li class="studio-panel">
                <h2>
                  <A href="/admin/applications">Creator applications</A>
                </h2>
                <p data-testid="pending-applications">{count(value.pendingApplications)} waiting for a decision.</p>
              </li>
              <li class="studio-panel">
                <h2>
                  <A href="/admin/reviews">Course reviews</A>
                </h2>
                <p data-testid="pending-reviews">{queued(value.reviewQueue)} waiting for review.</p>
              </li>
              <li class="studio-panel">
                <h2>
                  <A href="/admin/users">Users</A>
                </h2>
                <p>Search people, change roles, ban and unban.</p>
              </li>
              <li class="studio-panel">
                <h2>
                  <A href="/admin/events">Dead letters</A>
                </h2>
                <p>{count(value.deadLetters)} events no consumer could handle.</p>
              </li>
              <li class="studio-panel">
                <h2>
                  <A href="/dev/mailbox">Dev mailbox</A>
                </h2>
                <p>The mail an embedded start keeps instead of sending.</p>
              </li>
            </ul>
          </>
        )}
      </Loaded>
    </>
  )
}
