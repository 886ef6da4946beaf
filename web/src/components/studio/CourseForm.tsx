// The course details form (title, subtitle, description, category, level, language, price, tags), new or editing.
import type { Action } from "@solidjs/router"
import { useSubmission } from "@solidjs/router"
import { Show } from "solid-js"
import { LEVELS } from "../../lib/format.ts"
import type { FormFailure } from "../../lib/outcome.ts"
import type { CategoryView, CourseView } from "../../lib/studio.ts"
import Field from "../Field.tsx"
import { FormError } from "../FormMessage.tsx"
import { SelectField, TextAreaField } from "./Fields.tsx"
import { failureOf, succeeded } from "./results.ts"

const CURRENCIES: ReadonlyArray<readonly [string, string]> = [
  ["EUR", "EUR — euro"],
  ["USD", "USD — US dollar"],
  ["GBP", "GBP — pound sterling"],
  ["JPY", "JPY — yen"]
]

/** Minor units back to the amount a person types: 1999 EUR → "19.99". */
const majorUnits = (price: CourseView["price"]) => {
  const digits =
    new Intl.NumberFormat("en", { style: "currency", currency: price.currency }).resolvedOptions()
      .maximumFractionDigits ?? 2
  return digits === 0 ? String(price.amount) : (price.amount / 10 ** digits).toFixed(digits)
}

const categoryOptions = (categories: ReadonlyArray<CategoryView>): ReadonlyArray<readonly [string, string]> =>
  categories.map((category) => [category.id, `${"— ".repeat(category.depth)}${category.name}`] as const)

export default function CourseForm(props: {
  readonly action: Action<[FormData], FormFailure> | Action<[FormData], FormFailure | { readonly saved: true }>
  readonly categories: ReadonlyArray<CategoryView>
  readonly course?: CourseView
  readonly submitLabel: string
  readonly disabled?: boolean
}) {
  const submission = useSubmission(props.action)
  const failed = () => failureOf(submission.result)
  const saved = () => succeeded(submission.result, "saved") && !submission.pending
  return (
    <form action={props.action} method="post" novalidate class="course-form">
      <Show when={props.course}>{(course) => <input type="hidden" name="id" value={course().id} />}</Show>
      <fieldset disabled={props.disabled} class="plain-fieldset">
        <Field name="title" label="Title" required value={props.course?.title ?? ""} failure={failed()} />
        <Field name="subtitle" label="Subtitle" value={props.course?.subtitle ?? ""} failure={failed()} />
        <TextAreaField
          name="description"
          label="Description"
          rows={6}
          value={props.course?.description ?? ""}
          failure={failed()}
        />
        <div class="field-row">
          <SelectField
            name="categoryId"
            label="Category"
            options={categoryOptions(props.categories)}
            selected={props.course?.categoryId}
            failure={failed()}
          />
          <SelectField
            name="level"
            label="Level"
            options={LEVELS}
            selected={props.course?.level ?? "beginner"}
            failure={failed()}
          />
          <Field
            name="language"
            label="Language"
            hint="A language tag: en, fr, pt-BR."
            value={props.course?.language ?? "en"}
            failure={failed()}
          />
        </div>
        <div class="field-row">
          <Field
            name="price"
            label="Price"
            hint="0 makes the course free."
            inputmode="decimal"
            value={props.course ? majorUnits(props.course.price) : "0"}
            failure={failed()}
          />
          <SelectField
            name="currency"
            label="Currency"
            options={CURRENCIES}
            selected={props.course?.price.currency ?? "EUR"}
            failure={failed()}
          />
        </div>
        <Field
          name="tags"
          label="Tags"
          hint="Up to 10, separated by commas."
          value={props.course?.tags.join(", ") ?? ""}
          failure={failed()}
        />
        <FormError failure={failed()} />
        <Show when={saved()}>
          <p class="notice" role="status">
            Saved.
          </p>
        </Show>
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Saving…" : props.submitLabel}
        </button>
      </fieldset>
    </form>
  )
}
