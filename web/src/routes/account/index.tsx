// The account page: edit the public profile, change the password (by emailed code), sign out of every device.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, useSearchParams, useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
import Field from "../../components/Field.tsx"
import { FieldError, FormError } from "../../components/FormMessage.tsx"
import type { FormFailure } from "../../lib/outcome.ts"
import { getProfile, logoutEverywhere, type Profile, updateProfile } from "../../lib/profile.ts"

export const route = {
  preload() {
    void getProfile()
  }
} satisfies RouteDefinition

function ProfileForm(props: { readonly profile: Profile }) {
  const submission = useSubmission(updateProfile)
  const failure = (): FormFailure | undefined => {
    const result = submission.result
    return result !== undefined && "message" in result ? result : undefined
  }
  const bioInvalid = () => failure()?.field === "bio"
  return (
    <form action={updateProfile} method="post" novalidate aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <p>
        Email: <strong>{props.profile.email}</strong>
      </p>
      <Field name="name" label="Name" autocomplete="name" required value={props.profile.name} failure={failure()} />
      <div class="form-field">
        <label for="field-bio">About you</label>
        <textarea
          id="field-bio"
          name="bio"
          rows="4"
          maxlength={2000}
          aria-invalid={bioInvalid() ? "true" : undefined}
          aria-describedby={bioInvalid() ? "bio-error" : undefined}
        >
          {props.profile.bio ?? ""}
        </textarea>
        <FieldError failure={failure()} field="bio" />
      </div>
      <Field
        name="website"
        label="Website"
        type="url"
        autocomplete="url"
        value={props.profile.website ?? ""}
        failure={failure()}
      />
      <Field
        name="country"
        label="Country"
        hint="Two letters, like DE, FR or US."
        maxlength={2}
        autocomplete="country"
        value={props.profile.country ?? ""}
        failure={failure()}
      />
      <Field
        name="avatarUrl"
        label="Picture address"
        type="url"
        hint="A link to an image of you (optional)."
        value={props.profile.avatarUrl ?? ""}
        failure={failure()}
      />
      <FormError failure={failure()} />
      <Show when={submission.result !== undefined && !("message" in submission.result) && !submission.pending}>
        <p class="notice" role="status" data-testid="profile-saved">
          Your profile is saved.
        </p>
      </Show>
      <button type="submit" class="button" disabled={submission.pending}>
        {submission.pending ? "Saving…" : "Save profile"}
      </button>
    </form>
  )
}

export default function Account() {
  const [params] = useSearchParams<{ passwordChanged?: string }>()
  const profile = createAsync(() => getProfile())
  const signOut = useSubmission(logoutEverywhere)
  const value = () => {
    const current = profile()
    return current?.ok === true ? current.value : undefined
  }
  return (
    <div class="form-page">
      <Title>Your account — Lectern</Title>
      <h1>Your account</h1>
      <Show when={params.passwordChanged}>
        <p class="notice" role="status" data-testid="password-changed">
          Your password is changed.
        </p>
      </Show>
      <Show when={profile()} fallback={<p class="loading">Loading your profile…</p>}>
        <Show
          when={value()}
          fallback={
            <p class="form-error" role="alert">
              <A href="/login?next=/account">Sign in</A> to see your account.
            </p>
          }
        >
          {(shown) => (
            <>
              <ProfileForm profile={shown()} />
              <section aria-labelledby="password-title" class="account-section">
                <h2 id="password-title">Password</h2>
                <p>
                  To change your password, <A href="/account/forgot-password">get a code by email</A>.
                </p>
              </section>
              <section aria-labelledby="sessions-title" class="account-section">
                <h2 id="sessions-title">Signed-in devices</h2>
                <p>Signed in on a computer you no longer use? Sign out on every device, this one included.</p>
                <form action={logoutEverywhere} method="post">
                  <FormError failure={signOut.result} />
                  <button type="submit" class="button button-secondary" disabled={signOut.pending}>
                    {signOut.pending ? "Signing out…" : "Sign out everywhere"}
                  </button>
                </form>
              </section>
            </>
          )}
        </Show>
      </Show>
    </div>
  )
}
