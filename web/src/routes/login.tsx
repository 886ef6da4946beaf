// Sign in with email and password; `?next=/path` says where to go afterwards.
import { Title } from "@solidjs/meta"
import { A, useSearchParams, useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
import Field from "../components/Field.tsx"
import { FormError } from "../components/FormMessage.tsx"
import { login } from "../lib/account.ts"

export default function Login() {
  const [params] = useSearchParams<{ next?: string; signedOut?: string }>()
  const submission = useSubmission(login)
  const email = () => {
    const input = submission.input?.[0]
    const value = input instanceof FormData ? input.get("email") : null
    return typeof value === "string" ? value : ""
  }
  return (
    <div class="form-page">
      <Title>Sign in — Lectern</Title>
      <h1>Sign in</h1>
      <Show when={params.signedOut === "everywhere"}>
        <p class="notice" role="status">
          You are signed out on every device.
        </p>
      </Show>
      <form action={login} method="post" novalidate>
        <input type="hidden" name="next" value={params.next ?? "/"} />
        <Field name="email" label="Email" type="email" autocomplete="email" required failure={submission.result} />
        <Show when={submission.result?.tag === "EmailNotVerified"}>
          <p>
            <A href={`/verify-email?email=${encodeURIComponent(email())}`}>Enter your verification code</A>
          </p>
        </Show>
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          required
          failure={submission.result}
        />
        <FormError failure={submission.result} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        <A href={`/account/forgot-password${email() ? `?email=${encodeURIComponent(email())}` : ""}`}>
          Forgot your password?
        </A>
      </p>
      <p>
        New to Lectern? <A href="/register">Create an account</A>.
      </p>
    </div>
  )
}
