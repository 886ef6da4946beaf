// Error text tied to a form field (aria-describedby) or to the whole form, announced to screen readers.
import { Show } from "solid-js"
import type { FormFailure } from "../lib/outcome.ts"

/** The id of a field's error text, for the input's aria-describedby. */
export const errorId = (field: string) => `${field}-error`

/** The failure's message when it belongs to `field`. */
export const fieldError = (failure: FormFailure | undefined, field: string) =>
  failure !== undefined && failure.field === field ? failure.message : undefined

export function FieldError(props: { readonly failure: FormFailure | undefined; readonly field: string }) {
  return (
    <Show when={fieldError(props.failure, props.field)}>
      {(message) => (
        <p class="field-error" id={errorId(props.field)} role="alert" data-error-tag={props.failure?.tag}>
          {message()}
        </p>
      )}
    </Show>
  )
}

/** A failure no field owns (rate limits, a disabled account). */
export function FormError(props: { readonly failure: FormFailure | undefined }) {
  return (
    <Show when={props.failure !== undefined && props.failure.field === undefined ? props.failure : undefined}>
      {(failure) => (
        <p class="form-error" role="alert" data-error-tag={failure().tag}>
          {failure().message}
        </p>
      )}
    </Show>
  )
}
