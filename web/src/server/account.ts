// The account flows on the server: form fields → typed auth calls → session cookies, or a message for one field.
import "server-only"
import { Auth } from "@lectern/contracts"
import { redirect } from "@solidjs/router"
import { Either, Schema } from "effect"
import type { FormFailure, Outcome } from "../lib/outcome.ts"
import { decodeEmail, describeAuthFailure, fieldFailure, invalidEmail, text } from "./authForms.ts"
import { clearSession, currentRefreshToken, lectern, storeSession } from "./lectern.ts"
import { safeNext } from "./security.ts"

const encodeMails = Schema.encodeSync(Schema.Array(Auth.OutboxMail))

export const registerAccount = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const name = text(form, "name").trim()
  if (name.length === 0) return fieldFailure("name", "Enter your name.", "InvalidInput")
  const password = text(form, "password")
  const result = await lectern((c) => c.auth.user.register({ email: email.right, password, name }))
  if (!result.ok) return describeAuthFailure(result.error)
  throw redirect(`/verify-email?email=${encodeURIComponent(email.right)}`)
}

export const verifyAccountEmail = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const code = text(form, "code").trim()
  if (!/^\d{6}$/.test(code)) return fieldFailure("code", "The code is the six digits from the email.", "InvalidInput")
  const session = await lectern((c) => c.auth.user.verifyEmail({ email: email.right, code }))
  if (!session.ok) return describeAuthFailure(session.error)
  storeSession(session.value)
  throw redirect("/?welcome=1")
}

export const resendVerification = async (form: FormData): Promise<FormFailure | { readonly sent: true }> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const result = await lectern((c) => c.auth.user.resendVerification({ email: email.right }))
  if (!result.ok) return describeAuthFailure(result.error)
  return { sent: true }
}

export const signIn = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const password = text(form, "password")
  if (password.length === 0) return fieldFailure("password", "Enter your password.", "InvalidInput")
  const session = await lectern((c) => c.auth.session.login({ email: email.right, password }))
  if (!session.ok) return describeAuthFailure(session.error)
  storeSession(session.value)
  throw redirect(safeNext(text(form, "next")))
}

/** Revokes this browser's session at the auth service (when it still has one) and drops the cookies. */
export const signOut = async () => {
  const refreshToken = currentRefreshToken()
  if (refreshToken !== undefined) {
    // A session that is already gone is no reason to keep the cookies: the outcome does not matter here.
    await lectern((c) => c.auth.session.logout({ refreshToken }))
  }
  clearSession()
}

export const devOutbox = async (to: string | undefined) => {
  const mails = await lectern((c) => c.auth.dev.outbox(to === undefined || to === "" ? {} : { to }))
  if (!mails.ok) return mails
  return { ok: true, value: encodeMails(mails.value) } satisfies Outcome<ReadonlyArray<unknown>>
}
