// The admin area's own navigation: applications, reviews, users, events, and the dev mailbox.
import { A } from "@solidjs/router"

export default function AdminNav() {
  return (
    <nav aria-label="Admin" class="admin-nav">
      <ul class="nav-list studio-tabs">
        <li>
          <A href="/admin" end>
            Overview
          </A>
        </li>
        <li>
          <A href="/admin/applications">Creator applications</A>
        </li>
        <li>
          <A href="/admin/reviews">Course reviews</A>
        </li>
        <li>
          <A href="/admin/users">Users</A>
        </li>
        <li>
          <A href="/admin/events">Dead letters</A>
        </li>
        <li>
          <A href="/dev/mailbox">Dev mailbox</A>
        </li>
      </ul>
    </nav>
  )
}
