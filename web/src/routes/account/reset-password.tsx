// Reset password: the emailed code and a new password; the learner is signed in with it at once.
import { Title } from "@solidjs/meta"
import { A, useSearchParams, useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
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
      <p class="hint">
        Running Lectern on its embedded defaults? Mail is not sent: read it in the{" "}
        <A href="/dev/mailbox">dev mailbox</A>.
      </p>
      <form action={resetPassword} method="post" novalidate>
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          value={params.email ?? ""}
          failure={submission.result}
        />
        <Field
          name="code"
          label="Code"
          inputmode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9]{6}"
          maxlength={6}
          required
          failure={submission.result}
        />
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
