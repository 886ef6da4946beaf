// Maps every AuthRpcs call to the Auth service, and nothing else.
import type { Headers } from "@effect/platform"
import { Auth as Contract, CurrentUser } from "@lectern/contracts"
import { NotAvailable } from "@lectern/domain"
import { CLIENT_IP_HEADER } from "@lectern/platform/ClientIp"
import { DevOutbox } from "@lectern/platform/MailerDevOutbox"
import { DateTime, Effect } from "effect"
import { Auth } from "./Auth.ts"

const callContext = (headers: Headers.Headers) => ({ ip: headers[CLIENT_IP_HEADER] })

export const AuthHandlers = Contract.AuthRpcs.toLayer(
  Effect.gen(function* () {
    const auth = yield* Auth
    const outbox = yield* DevOutbox
    const withUser = <A, E, R>(f: (user: CurrentUser["Type"]) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentUser, f)

    return Contract.AuthRpcs.of({
      "user.register": (input, { headers }) => auth.register(input, callContext(headers)),
      "user.verifyEmail": (input) => auth.verifyEmail(input),
      "user.resendVerification": (input) => auth.resendVerification(input),
      "session.login": (input, { headers }) => auth.login(input, callContext(headers)),
      "session.refresh": (input) => auth.refresh(input),
      "session.logout": (input) => auth.logout(input),
      "password.requestReset": (input) => auth.requestPasswordReset(input),
      "password.reset": (input) => auth.resetPassword(input),
      "dev.outbox": (input) =>
        outbox.list(input.to === undefined ? {} : { to: input.to }).pipe(
          Effect.map((mails) =>
            mails.map(
              (mail) =>
                new Contract.OutboxMail({
                  id: mail.id,
                  to: mail.to,
                  subject: mail.subject,
                  text: mail.text,
                  sentAt: DateTime.toUtc(mail.sentAt)
                })
            )
          ),
          Effect.catchTag("DevOutboxDisabled", () =>
            Effect.fail(new NotAvailable({ message: "mail is delivered over SMTP; there is no dev outbox" }))
          )
        ),
      "session.logoutAll": () => withUser(auth.logoutAll),
      "user.me": () => withUser(auth.me),
      "user.updateProfile": (patch) => withUser((user) => auth.updateProfile(user, patch)),
      "user.deactivate": (input) => withUser((user) => auth.deactivate(user, input)),
      "user.setRole": (input) => withUser((user) => auth.setRole(user, input)),
      "user.setBanned": (input) => withUser((user) => auth.setBanned(user, input)),
      "user.list": (input) => withUser((user) => auth.listUsers(user, input)),
      "user.getMany": (input) => withUser((user) => auth.getUsers(user, input)),
      "creator.apply": (input) => withUser((user) => auth.applyAsCreator(user, input)),
      "creator.myApplication": () => withUser(auth.myApplication),
      "creator.applications": (input) => withUser((user) => auth.listApplications(user, input)),
      "creator.decide": (input) => withUser((user) => auth.decideApplication(user, input))
    })
  })
)
