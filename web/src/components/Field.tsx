// A labelled form input wired to its error text: aria-invalid and aria-describedby follow the failure.
import { type JSX, Show, splitProps } from "solid-js"
import type { FormFailure } from "../lib/outcome.ts"
import { errorId, FieldError, fieldError } from "./FormMessage.tsx"

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement>

export default function Field(
  props: InputProps & {
    readonly name: string
    readonly label: string
    readonly hint?: string
    readonly failure: FormFailure | undefined
  }
) {
  const [own, input] = splitProps(props, ["name", "label", "hint", "failure"])
  const id = () => `field-${own.name}`
  const hintId = () => `${own.name}-hint`
  const describedBy = () =>
    [own.hint ? hintId() : undefined, fieldError(own.failure, own.name) ? errorId(own.name) : undefined]
      .filter((value) => value !== undefined)
      .join(" ") || undefined
  return (
    <div class="form-field">
      <label for={id()}>{own.label}</label>
      <input
        {...input}
        id={id()}
        name={own.name}
        aria-invalid={fieldError(own.failure, own.name) ? "true" : undefined}
        aria-describedby={describedBy()}
      />
      <Show when={own.hint}>
        {(hint) => (
          <p class="hint" id={hintId()}>
            {hint()}
          </p>
        )}
      </Show>
      <FieldError failure={own.failure} field={own.name} />
    </div>
  )
}
