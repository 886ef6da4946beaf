// Verify an email with the six-digit code it received; signing in follows at once. A new code can be sent.
import { Title } from "@solidjs/meta"
import { useSearchParams, useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
import EmailCodeFields, { DevMailboxHint } from "../components/EmailCodeFields.tsx"
import { FormError } from "../components/FormMessage.tsx"
import { resendCode, verifyEmail } from "../lib/account.ts"

export default function VerifyEmail() {
  const [params] = useSearchParams<{ email?: string }>()
  const submission = useSubmission(verifyEmail)
  const resend = useSubmission(resendCode)
  const resendFailure = () => {
    const result = resend.result
    return result !== undefined && "message" in result ? result : undefined
  }
  return (
    <div class="form-page">
      <Title>Verify your email — Lectern</Title>
      <h1>Verify your email</h1>
      <p>We sent a six-digit code to {params.email ? <strong>{params.email}</strong> : "your email address"}.</p>
      <DevMailboxHint />
      <form action={verifyEmail} method="post" novalidate>
        <EmailCodeFields email={params.email} failure={submission.result} />
        <FormError failure={submission.result} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Verifying…" : "Verify and sign in"}
        </button>
      </form>
      <form action={resendCode} method="post" class="resend">
        <input type="hidden" name="email" value={params.email ?? ""} />
        <p>
          No code?{" "}
          <button type="submit" class="link-button" disabled={resend.pending}>
            Send a new one
          </button>
        </p>
        <Show when={resend.result !== undefined && !("message" in resend.result)}>
          <p role="status">A new code is on its way.</p>
        </Show>
        <FormError failure={resendFailure()} />
      </form>
    </div>
  )
}
