// Users: search by name or email, filter by role and ban, change a role, ban or unban with a reason.
import { Title } from "@solidjs/meta"
import { A, createAsync, useSearchParams, useSubmission } from "@solidjs/router"
import { createUniqueId, For, Show } from "solid-js"
import AdminNav from "../../components/admin/AdminNav.tsx"
import Loaded from "../../components/Loaded.tsx"
import { InputField } from "../../components/studio/Fields.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { failureOf, succeeded } from "../../components/studio/results.ts"
import { type AdminUser, getUsers, setUserBanned, setUserRole } from "../../lib/admin.ts"
import { formatDate } from "../../lib/format.ts"

const ROLES = ["learner", "creator", "admin"] as const

function UserRow(props: { readonly user: AdminUser }) {
  const key = createUniqueId()
  const role = useSubmission(setUserRole, ([form]) => form.get("userId") === props.user.id)
  const ban = useSubmission(setUserBanned, ([form]) => form.get("userId") === props.user.id)
  return (
    <li class="studio-panel user-row" data-testid="user">
      <h2>
        {props.user.name} <span class="hint">{props.user.email}</span>
      </h2>
      <p class="hint">
        Joined {formatDate(props.user.createdAt)} · {props.user.emailVerified ? "verified" : "not verified"}
        <Show when={props.user.banned}>
          {" "}
          · <span class="status status-rejected">banned</span>
          <Show when={props.user.bannedReason}>{(reason) => <> (“{reason()}”)</>}</Show>
        </Show>
      </p>
      <div class="user-actions">
        <form action={setUserRole} method="post" class="inline-form">
          <input type="hidden" name="userId" value={props.user.id} />
          <label for={`${key}-role`}>Role</label>
          <select id={`${key}-role`} name="role">
            <For each={ROLES}>
              {(value) => (
                <option value={value} selected={props.user.role === value}>
                  {value}
                </option>
              )}
            </For>
          </select>
          <button type="submit" class="button button-small" disabled={role.pending}>
            Change role
          </button>
        </form>
        <form action={setUserBanned} method="post" class="inline-form" novalidate>
          <input type="hidden" name="userId" value={props.user.id} />
          <input type="hidden" name="banned" value={props.user.banned ? "false" : "true"} />
          <Show when={!props.user.banned}>
            <InputField name="reason" label="Ban reason" idPrefix={key} failure={failureOf(ban.result)} />
          </Show>
          <button type="submit" class="button button-small button-secondary" disabled={ban.pending}>
            {props.user.banned ? "Unban" : "Ban"}
          </button>
        </form>
      </div>
      <Show when={failureOf(role.result) ?? (failureOf(ban.result)?.field ? undefined : failureOf(ban.result))}>
        {(failure) => (
          <p class="form-error" role="alert">
            {failure().message}
          </p>
        )}
      </Show>
      <Show
        when={(succeeded(role.result, "saved") && !role.pending) || (succeeded(ban.result, "saved") && !ban.pending)}
      >
        <p class="notice" role="status">
          Saved.
        </p>
      </Show>
    </li>
  )
}

export default function UsersPage() {
  const [params] = useSearchParams<{ q?: string; role?: string; banned?: string; cursor?: string }>()
  const page = createAsync(() =>
    getUsers({ q: params.q, role: params.role, banned: params.banned, cursor: params.cursor })
  )
  const nextHref = (cursor: string) => {
    const query = new URLSearchParams()
    for (const name of ["q", "role", "banned"] as const) {
      const value = params[name]
      if (value) query.set(name, value)
    }
    query.set("cursor", cursor)
    return `?${query}`
  }
  return (
    <>
      <Title>Users — Admin — Lectern</Title>
      <h1>Users</h1>
      <AdminNav />
      <search>
        <form method="get" class="filters user-filters">
          <div class="form-field">
            <label for="users-q">Name or email</label>
            <input id="users-q" name="q" type="search" value={params.q ?? ""} />
          </div>
          <div class="form-field">
            <label for="users-role">Role</label>
            <select id="users-role" name="role">
              <option value="">Any</option>
              <For each={ROLES}>
                {(value) => (
                  <option value={value} selected={params.role === value}>
                    {value}
                  </option>
                )}
              </For>
            </select>
          </div>
          <div class="form-field">
            <label for="users-banned">Banned</label>
            <select id="users-banned" name="banned">
              <option value="">Either</option>
              <option value="yes" selected={params.banned === "yes"}>
                Banned
              </option>
              <option value="no" selected={params.banned === "no"}>
                Not banned
              </option>
            </select>
          </div>
          <button type="submit" class="button">
            Search
          </button>
        </form>
      </search>
      <Loaded outcome={page()} loading="Loading users…" failed={(failure) => <Refused failure={failure} />}>
        {(value) => (
          <>
            <Show when={value.items.length > 0} fallback={<p class="empty">No users match.</p>}>
              <ul class="plain-list">
                <For each={value.items}>{(user) => <UserRow user={user} />}</For>
              </ul>
            </Show>
            <Show when={value.nextCursor}>
              {(cursor) => (
                <p class="pager">
                  <A href={nextHref(cursor())}>More users</A>
                </p>
              )}
            </Show>
          </>
        )}
      </Loaded>
    </>
  )
}
