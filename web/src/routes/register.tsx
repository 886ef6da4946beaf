// Create an account: name, email, password; then the email's code on /verify-email.
import { Title } from "@solidjs/meta"
import { A, useSubmission } from "@solidjs/router"
import Field from "../components/Field.tsx"
import { FormError } from "../components/FormMessage.tsx"
import { register } from "../lib/account.ts"

export default function Register() {
  const submission = useSubmission(register)
  return (
    <div class="form-page">
      <Title>Create an account — Lectern</Title>
      <h1>Create an account</h1>
      <form action={register} method="post" novalidate>
        <Field name="name" label="Name" autocomplete="name" required failure={submission.result} />
        <Field name="email" label="Email" type="email" autocomplete="email" required failure={submission.result} />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          required
          hint="At least 12 characters. A passphrase of a few words works well."
          failure={submission.result}
        />
        <FormError failure={submission.result} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <A href="/login">Sign in</A>.
      </p>
    </div>
  )
}
