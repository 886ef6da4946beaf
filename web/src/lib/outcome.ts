// What a server function hands a page: a value, or a typed failure from the contracts as plain data.

/** A contract error as plain data: `_tag` (e.g. `EmailTaken`), a message, and its primitive fields. */
export interface Failure {
  readonly _tag: string
  readonly message: string
  readonly [field: string]: string | number | boolean
}

export type Outcome<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: Failure }

/** What a form action answers: nothing on success (it redirects), or the failure and the field it belongs to. */
export interface FormFailure {
  readonly field: string | undefined
  readonly message: string
  readonly tag: string
}

/** The value of a loaded, successful outcome; undefined while loading or on failure. */
export const loadedValue = <A>(outcome: Outcome<A> | undefined): A | undefined =>
  outcome?.ok === true ? outcome.value : undefined
