// Forgot password: the account's email gets a six-digit reset code (in embedded mode, in the dev mailbox).
import { Title } from "@solidjs/meta"
import { A, useSearchParams, useSubmission } from "@solidjs/router"
import Field from "../../components/Field.tsx"
import { FormError } from "../../components/FormMessage.tsx"
import { forgotPassword } from "../../lib/profile.ts"

export default function ForgotPassword() {
  const [params] = useSearchParams<{ email?: string }>()
  const submission = useSubmission(forgotPassword)
  return (
    <div class="form-page">
      <Title>Forgot your password — Lectern</Title>
      <h1>Forgot your password?</h1>
      <p>Enter your account's email. We send it a code to choose a new password.</p>
      <form action={forgotPassword} method="post" novalidate>
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          value={params.email ?? ""}
          failure={submission.result}
        />
        <FormError failure={submission.result} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Sending…" : "Send me a code"}
        </button>
      </form>
      <p>
        Remembered it? <A href="/login">Sign in</A>.
      </p>
    </div>
  )
}
