// Labelled textarea and select wired to their error text like Field's inputs (aria-invalid, aria-describedby).
import { For, type JSX, Show, splitProps } from "solid-js"
import type { FormFailure } from "../../lib/outcome.ts"
import { errorId, fieldError } from "../FormMessage.tsx"

interface Own {
  readonly name: string
  readonly label: string
  readonly hint?: string | undefined
  readonly failure: FormFailure | undefined
  /** When several forms on one page share field names. */
  readonly idPrefix?: string | undefined
}

/** Ids are prefixed when the page has another form with the same field names. */
const key = (own: Own) => (own.idPrefix ? `${own.idPrefix}-${own.name}` : own.name)

const describedBy = (own: Own) =>
  [own.hint ? `${key(own)}-hint` : undefined, fieldError(own.failure, own.name) ? errorId(key(own)) : undefined]
    .filter((value) => value !== undefined)
    .join(" ") || undefined

function Hint(props: { readonly own: Own }) {
  return (
    <Show when={props.own.hint}>
      {(hint) => (
        <p class="hint" id={`${key(props.own)}-hint`}>
          {hint()}
        </p>
      )}
    </Show>
  )
}

function Problem(props: { readonly own: Own }) {
  return (
    <Show when={fieldError(props.own.failure, props.own.name)}>
      {(message) => (
        <p class="field-error" id={errorId(key(props.own))} role="alert" data-error-tag={props.own.failure?.tag}>
          {message()}
        </p>
      )}
    </Show>
  )
}

export function InputField(props: JSX.InputHTMLAttributes<HTMLInputElement> & Own) {
  const [own, rest] = splitProps(props, ["name", "label", "hint", "failure", "idPrefix"])
  const id = () => `${own.idPrefix ?? "field"}-${own.name}`
  return (
    <div class="form-field">
      <label for={id()}>{own.label}</label>
      <input
        {...rest}
        id={id()}
        name={own.name}
        aria-invalid={fieldError(own.failure, own.name) ? "true" : undefined}
        aria-describedby={describedBy(own)}
      />
      <Hint own={own} />
      <Problem own={own} />
    </div>
  )
}

export function TextAreaField(props: JSX.TextareaHTMLAttributes<HTMLTextAreaElement> & Own) {
  const [own, rest] = splitProps(props, ["name", "label", "hint", "failure", "idPrefix", "value"])
  const id = () => `${own.idPrefix ?? "field"}-${own.name}`
  // The text goes in as the element's content, not a spread `value`: spread onto a textarea, the server renders a
  // `value` attribute (which textareas ignore) and hydration did not set it either, so the box showed empty and
  // saving the form would have erased the text.
  return (
    <div class="form-field">
      <label for={id()}>{own.label}</label>
      <textarea
        {...rest}
        id={id()}
        name={own.name}
        aria-invalid={fieldError(own.failure, own.name) ? "true" : undefined}
        aria-describedby={describedBy(own)}
      >
        {own.value === undefined ? "" : String(own.value)}
      </textarea>
      <Hint own={own} />
      <Problem own={own} />
    </div>
  )
}

export function SelectField(
  props: JSX.SelectHTMLAttributes<HTMLSelectElement> &
    Own & { readonly options: ReadonlyArray<readonly [string, string]>; readonly selected?: string | undefined }
) {
  const [own, rest] = splitProps(props, ["name", "label", "hint", "failure", "idPrefix", "options", "selected"])
  const id = () => `${own.idPrefix ?? "field"}-${own.name}`
  return (
    <div class="form-field">
      <label for={id()}>{own.label}</label>
      <select
        {...rest}
        id={id()}
        name={own.name}
        aria-invalid={fieldError(own.failure, own.name) ? "true" : undefined}
        aria-describedby={describedBy(own)}
      >
        <For each={own.options}>
          {([value, label]) => (
            <option value={value} selected={value === own.selected}>
              {label}
            </option>
          )}
        </For>
      </select>
      <Hint own={own} />
      <Problem own={own} />
    </div>
  )
}
