// The email and six-digit code fields the verify-email and reset-password forms share, with the dev-mailbox hint.
import { A } from "@solidjs/router"
import type { FormFailure } from "../lib/outcome.ts"
import Field from "./Field.tsx"

export default function EmailCodeFields(props: {
  readonly email: string | undefined
  readonly failure: FormFailure | undefined
}) {
  return (
    <>
      <Field
        name="email"
        label="Email"
        type="email"
        autocomplete="email"
        required
        value={props.email ?? ""}
        failure={props.failure}
      />
      <Field
        name="code"
        label="Code"
        inputmode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9]{6}"
        maxlength={6}
        required
        failure={props.failure}
      />
    </>
  )
}

/** Where mail goes when Lectern runs on its embedded defaults. */
export function DevMailboxHint() {
  return (
    <p class="hint">
      Running Lectern on its embedded defaults? Mail is not sent: read it in the <A href="/dev/mailbox">dev mailbox</A>.
    </p>
  )
}
