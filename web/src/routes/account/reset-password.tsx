// Reset password: the emailed code and a new password; the learner is signed in with it at once.
import { Title } from "@solidjs/meta"
import { A, useSearchParams, useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
import EmailCodeFields, { DevMailboxHint } from "../../components/EmailCodeFields.tsx"
import Field from "../../components/Field.tsx"
import { FormError } from "../../components/FormMessage.tsx"
import { resetPassword } from "../../lib/profile.ts"

export default function ResetPassword() {
  const [params] = useSearchParams<{ email?: string; sent?: string }>()
  const submission = useSubmission(resetPassword)
  return (
    <div class="form-page">
      <Title>Choose a new password — Lectern</Title>
      <h1>Choose a new password</h1>
      <Show when={params.sent}>
        <p class="notice" role="status">
          If an account uses {params.email ? <strong>{params.email}</strong> : "this address"}, a six-digit code is on
          its way.
        </p>
      </Show>
      <DevMailboxHint />
      <form action={resetPassword} method="post" novalidate>
        <EmailCodeFields email={params.email} failure={submission.result} />
        <Field
          name="password"
          label="New password"
          type="password"
          autocomplete="new-password"
          hint="At least 12 characters."
          required
          failure={submission.result}
        />
        <FormError failure={submission.result} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Saving…" : "Save the new password"}
        </button>
      </form>
      <p>
        No code? <A href={`/account/forgot-password?email=${encodeURIComponent(params.email ?? "")}`}>Send another</A>.
      </p>
    </div>
  )
}
