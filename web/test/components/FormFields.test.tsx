// Field, FieldError/FormError and EmailCodeFields in jsdom: labels name the inputs, and a failure marks its own field
// invalid and describes it (aria-invalid, aria-describedby → the role="alert" error text), and no other field.
import { render, screen } from "@solidjs/testing-library"
import { createSignal } from "solid-js"
import { describe, expect, it } from "vitest"
import EmailCodeFields, { DevMailboxHint } from "../../src/components/EmailCodeFields.tsx"
import Field from "../../src/components/Field.tsx"
import { FieldError, FormError } from "../../src/components/FormMessage.tsx"
import type { FormFailure } from "../../src/lib/outcome.ts"
import { renderRouted } from "./routed.tsx"

const emailTaken: FormFailure = { field: "email", message: "That email is already registered.", tag: "EmailTaken" }
const rateLimited: FormFailure = { field: undefined, message: "Too many attempts; wait a minute.", tag: "RateLimited" }

describe("Field", () => {
  it("is named by its label and, without a failure, neither invalid nor described", () => {
    render(() => <Field name="email" label="Email" type="email" required failure={undefined} />)
    const input = screen.getByRole("textbox", { name: "Email" }) as HTMLInputElement
    expect(input.id).toBe("field-email")
    expect(input.name).toBe("email")
    expect(input.type).toBe("email")
    expect(input.required).toBe(true)
    expect(input.hasAttribute("aria-invalid")).toBe(false)
    expect(input.hasAttribute("aria-describedby")).toBe(false)
    expect(screen.queryByRole("alert")).toBeNull()
  })

  it("with its own failure: aria-invalid, and the error text (an alert) is its description", () => {
    render(() => <Field name="email" label="Email" failure={emailTaken} />)
    const input = screen.getByRole("textbox", { name: "Email", description: "That email is already registered." })
    expect(input.getAttribute("aria-invalid")).toBe("true")
    expect(input.getAttribute("aria-describedby")).toBe("email-error")
    const alert = screen.getByRole("alert")
    expect(alert.id).toBe("email-error")
    expect(alert.textContent).toBe("That email is already registered.")
    expect(alert.dataset.errorTag).toBe("EmailTaken")
  })

  it("ignores a failure that belongs to another field or to the whole form", () => {
    render(() => (
      <>
        <Field name="password" label="Password" type="password" failure={emailTaken} />
        <Field name="name" label="Name" failure={rateLimited} />
      </>
    ))
    const name = screen.getByRole("textbox", { name: "Name" })
    const password = screen.getByLabelText("Password")
    for (const input of [name, password]) {
      expect(input.hasAttribute("aria-invalid")).toBe(false)
      expect(input.hasAttribute("aria-describedby")).toBe(false)
    }
    expect(screen.queryByRole("alert")).toBeNull()
  })

  it("is described by its hint, then by its error when one comes, and not after it is fixed", () => {
    const [failure, setFailure] = createSignal<FormFailure | undefined>()
    render(() => <Field name="email" label="Email" hint="We send a code there." failure={failure()} />)
    const input = screen.getByRole("textbox", { name: "Email", description: "We send a code there." })
    expect(input.getAttribute("aria-describedby")).toBe("email-hint")
    expect(input.hasAttribute("aria-invalid")).toBe(false)

    setFailure(emailTaken)
    expect(input.getAttribute("aria-describedby")).toBe("email-hint email-error")
    expect(input.getAttribute("aria-invalid")).toBe("true")
    screen.getByRole("textbox", {
      name: "Email",
      description: "We send a code there. That email is already registered."
    })

    setFailure(undefined)
    expect(input.getAttribute("aria-describedby")).toBe("email-hint")
    expect(input.hasAttribute("aria-invalid")).toBe(false)
    expect(screen.queryByRole("alert")).toBeNull()
  })
})

describe("FieldError and FormError", () => {
  it("a field's error shows only for that field; the form's error only for a failure no field owns", () => {
    const [failure, setFailure] = createSignal<FormFailure | undefined>(emailTaken)
    render(() => (
      <>
        <FieldError failure={failure()} field="email" />
        <FormError failure={failure()} />
      </>
    ))
    expect(screen.getAllByRole("alert").map((alert) => [alert.className, alert.textContent])).toEqual([
      ["field-error", "That email is already registered."]
    ])

    setFailure(rateLimited)
    const alerts = screen.getAllByRole("alert")
    expect(alerts.map((alert) => [alert.className, alert.textContent])).toEqual([
      ["form-error", "Too many attempts; wait a minute."]
    ])
    expect(alerts[0]?.dataset.errorTag).toBe("RateLimited")

    setFailure(undefined)
    expect(screen.queryByRole("alert")).toBeNull()
  })
})

describe("EmailCodeFields", () => {
  it("an email field filled in from the link, and a six-digit one-time code field", () => {
    render(() => <EmailCodeFields email="ada@example.com" failure={undefined} />)
    const email = screen.getByRole("textbox", { name: "Email" }) as HTMLInputElement
    expect(email.value).toBe("ada@example.com")
    expect(email.type).toBe("email")
    expect(email.autocomplete).toBe("email")
    expect(email.required).toBe(true)
    const code = screen.getByRole("textbox", { name: "Code" }) as HTMLInputElement
    expect(code.value).toBe("")
    expect(code.inputMode).toBe("numeric")
    expect(code.autocomplete).toBe("one-time-code")
    expect(code.pattern).toBe("[0-9]{6}")
    expect(code.maxLength).toBe(6)
    expect(code.required).toBe(true)
  })

  it("a wrong code marks the code field only, described by the error", () => {
    const wrongCode: FormFailure = { field: "code", message: "That code is not right.", tag: "InvalidCode" }
    render(() => <EmailCodeFields email={undefined} failure={wrongCode} />)
    const email = screen.getByRole("textbox", { name: "Email" }) as HTMLInputElement
    expect(email.value).toBe("")
    expect(email.hasAttribute("aria-invalid")).toBe(false)
    const code = screen.getByRole("textbox", { name: "Code", description: "That code is not right." })
    expect(code.getAttribute("aria-invalid")).toBe("true")
    expect(screen.getAllByRole("alert")).toHaveLength(1)
  })

  it("the dev-mailbox hint links to /dev/mailbox", async () => {
    renderRouted(() => <DevMailboxHint />)
    const link = await screen.findByRole("link", { name: "dev mailbox" })
    expect(link.getAttribute("href")).toBe("/dev/mailbox")
  })
})
