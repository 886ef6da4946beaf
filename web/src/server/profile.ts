// Account pages on the server: forgot and reset password (the code arrives by mail), profile editing, and signing
// out of every session — form fields → typed auth calls → a message for one field, or a redirect.
import "server-only"
import { Auth } from "@lectern/contracts"
import { redirect } from "@solidjs/router"
import { Either, Schema } from "effect"
import type { FormFailure, Outcome } from "../lib/outcome.ts"
import type { Profile } from "../lib/profile.ts"
import { decodeEmail, describeAuthFailure, fieldFailure, invalidEmail, text } from "./authForms.ts"
import { clearSession, lectern, storeSession } from "./lectern.ts"

export const requestPasswordReset = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  // Auth answers the same whether or not the address has an account: nobody learns who is registered.
  const result = await lectern((c) => c.auth.password.requestReset({ email: email.right }))
  if (!result.ok) return describeAuthFailure(result.error)
  throw redirect(`/account/reset-password?email=${encodeURIComponent(email.right)}&sent=1`)
}

export const resetPassword = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const code = text(form, "code").trim()
  if (!/^\d{6}$/.test(code)) return fieldFailure("code", "The code is the six digits from the email.")
  const password = text(form, "password")
  if (password.length === 0) return fieldFailure("password", "Choose a new password.")
  const reset = await lectern((c) => c.auth.password.reset({ email: email.right, code, newPassword: password }))
  if (!reset.ok) return describeAuthFailure(reset.error)
  // Signed in with the new password straight away; when that is not possible, the sign-in page says what to do.
  const session = await lectern((c) => c.auth.session.login({ email: email.right, password }))
  if (!session.ok) throw redirect(`/login?next=${encodeURIComponent("/account?passwordChanged=1")}`)
  storeSession(session.value)
  throw redirect("/account?passwordChanged=1")
}

const encodeUser = Schema.encodeSync(Auth.User)

export const profile = async (): Promise<Outcome<Profile>> => {
  const me = await lectern((c) => c.auth.user.me())
  if (!me.ok) return me
  const user = encodeUser(me.value)
  return {
    ok: true,
    value: {
      name: user.name,
      email: user.email,
      role: user.role,
      bio: user.bio,
      website: user.website,
      country: user.country,
      avatarUrl: user.avatarUrl
    }
  }
}

const URL_PATTERN = /^https?:\/\/[^\s]+$/

/** An optional URL field: empty clears it, else an http(s) URL of at most 2,048 characters. */
const urlField = (form: FormData, name: string, label: string): Either.Either<string | null, FormFailure> => {
  const value = text(form, name).trim()
  if (value === "") return Either.right(null)
  if (value.length > 2048 || !URL_PATTERN.test(value)) {
    return Either.left(fieldFailure(name, `${label} must be a web address starting with https:// or http://.`))
  }
  return Either.right(value)
}

export const saveProfile = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const name = text(form, "name").trim()
  if (name.length === 0) return fieldFailure("name", "Enter your name.")
  if (name.length > 100) return fieldFailure("name", "A name is at most 100 characters.")
  const bio = text(form, "bio").trim()
  if (bio.length > 2000) return fieldFailure("bio", "A bio is at most 2,000 characters.")
  const country = text(form, "country").trim().toUpperCase()
  if (country !== "" && !/^[A-Z]{2}$/.test(country)) {
    return fieldFailure("country", "Use the two-letter country code, like DE, FR or US.")
  }
  const website = urlField(form, "website", "Website")
  if (Either.isLeft(website)) return website.left
  const avatarUrl = urlField(form, "avatarUrl", "Picture address")
  if (Either.isLeft(avatarUrl)) return avatarUrl.left
  const result = await lectern((c) =>
    c.auth.user.updateProfile({
      name,
      bio: bio === "" ? null : bio,
      country: country === "" ? null : country,
      website: website.right,
      avatarUrl: avatarUrl.right
    })
  )
  if (!result.ok) return describeAuthFailure(result.error)
  return { saved: true }
}

/** Revokes every session of the account (this one too) and drops this browser's cookies. */
export const signOutEverywhere = async (): Promise<FormFailure> => {
  const result = await lectern((c) => c.auth.session.logoutAll())
  if (!result.ok && result.error._tag !== "Unauthorized") return describeAuthFailure(result.error)
  clearSession()
  throw redirect("/login?signedOut=everywhere")
}
