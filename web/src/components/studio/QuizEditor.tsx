// The quiz editor: the quiz lesson's title, settings (passing score, attempts, time limit, shuffling, explanations)
// and questions of every kind (single and multiple choice, true/false, short text, numeric, ordering, matching).
// Question, option, item and side ids are generated here, so authors never type one.
import { useAction, useNavigate } from "@solidjs/router"
import { createSignal, For, Index, type JSX, Match, onMount, Show, Switch } from "solid-js"
import { createStore, produce } from "solid-js/store"
import { type QuestionDraft, type QuizView, saveQuiz } from "../../lib/studio.ts"

/** A random id the contract accepts (letters, digits, `-`, `_`) that says nothing about the answer. */
const newId = () => {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
}

const KINDS: ReadonlyArray<readonly [QuestionDraft["kind"], string]> = [
  ["single", "Single choice"],
  ["multiple", "Multiple choice"],
  ["trueFalse", "True or false"],
  ["shortText", "Short text"],
  ["numeric", "Number"],
  ["ordering", "Put in order"],
  ["matching", "Match pairs"]
]

interface Choice {
  id: string
  text: string
}

interface Pair {
  left: Choice
  right: Choice
}

interface Draft {
  id: string
  kind: QuestionDraft["kind"]
  prompt: string
  points: string
  explanation: string
  options: Array<Choice>
  correctOptionIds: Array<string>
  partialCredit: boolean
  correct: boolean
  acceptedAnswers: string
  caseSensitive: boolean
  answer: string
  tolerance: string
  pairs: Array<Pair>
}

const choice = (text = ""): Choice => ({ id: newId(), text })

const blank = (kind: QuestionDraft["kind"] = "single"): Draft => ({
  id: newId(),
  kind,
  prompt: "",
  points: "1",
  explanation: "",
  options: [choice(), choice()],
  correctOptionIds: [],
  partialCredit: false,
  correct: true,
  acceptedAnswers: "",
  caseSensitive: false,
  answer: "",
  tolerance: "0",
  pairs: [
    { left: choice(), right: choice() },
    { left: choice(), right: choice() }
  ]
})

const fromQuestion = (question: QuestionDraft): Draft => {
  const draft = blank(question.kind)
  draft.id = question.id
  draft.prompt = question.prompt
  draft.points = String(question.points ?? 1)
  draft.explanation = question.explanation ?? ""
  switch (question.kind) {
    case "single":
      draft.options = question.options.map((o) => ({ ...o }))
      draft.correctOptionIds = [question.correctOptionId]
      break
    case "multiple":
      draft.options = question.options.map((o) => ({ ...o }))
      draft.correctOptionIds = [...question.correctOptionIds]
      draft.partialCredit = question.partialCredit ?? false
      break
    case "trueFalse":
      draft.correct = question.correct
      break
    case "shortText":
      draft.acceptedAnswers = question.acceptedAnswers.join("\n")
      draft.caseSensitive = question.caseSensitive ?? false
      break
    case "numeric":
      draft.answer = String(question.answer)
      draft.tolerance = String(question.tolerance ?? 0)
      break
    case "ordering":
      draft.options = question.items.map((o) => ({ ...o }))
      break
    case "matching":
      draft.pairs = question.pairs.map((pair) => ({ left: { ...pair.left }, right: { ...pair.right } }))
      break
  }
  return draft
}

const numberOrNaN = (value: string) => (value.trim() === "" ? Number.NaN : Number(value.replace(",", ".")))

/** The question as the contract takes it; the server checks it with the contract's Schema. */
const toQuestion = (draft: Draft): QuestionDraft => {
  const base = {
    id: draft.id,
    prompt: draft.prompt,
    points: numberOrNaN(draft.points),
    ...(draft.explanation.trim() === "" ? {} : { explanation: draft.explanation })
  }
  switch (draft.kind) {
    case "single":
      return { ...base, kind: "single", options: draft.options, correctOptionId: draft.correctOptionIds[0] ?? "" }
    case "multiple":
      return {
        ...base,
        kind: "multiple",
        options: draft.options,
        correctOptionIds: draft.correctOptionIds,
        partialCredit: draft.partialCredit
      }
    case "trueFalse":
      return { ...base, kind: "trueFalse", correct: draft.correct }
    case "shortText":
      return {
        ...base,
        kind: "shortText",
        acceptedAnswers: draft.acceptedAnswers
          .split("\n")
          .map((line) => line.trim())
          .filter((line) => line !== ""),
        caseSensitive: draft.caseSensitive
      }
    case "numeric":
      return { ...base, kind: "numeric", answer: numberOrNaN(draft.answer), tolerance: numberOrNaN(draft.tolerance) }
    case "ordering":
      return { ...base, kind: "ordering", items: draft.options }
    case "matching":
      return { ...base, kind: "matching", pairs: draft.pairs }
  }
}

interface Settings {
  passingScorePercent: string
  attemptLimit: string
  timeLimitMinutes: string
  shuffleQuestions: boolean
  shuffleOptions: boolean
  showExplanations: "afterSubmit" | "afterPassing" | "never"
}

const settingsOf = (quiz: QuizView | null): Settings => ({
  passingScorePercent: String(quiz?.settings.passingScorePercent ?? 70),
  attemptLimit: quiz?.settings.attemptLimit == null ? "" : String(quiz.settings.attemptLimit),
  timeLimitMinutes: quiz?.settings.timeLimitSeconds == null ? "" : String(quiz.settings.timeLimitSeconds / 60),
  shuffleQuestions: quiz?.settings.shuffleQuestions ?? false,
  shuffleOptions: quiz?.settings.shuffleOptions ?? false,
  showExplanations: quiz?.settings.showExplanations ?? "afterSubmit"
})

const move = <A,>(items: Array<A>, from: number, to: number) => {
  const [item] = items.splice(from, 1)
  if (item !== undefined) items.splice(to, 0, item)
}

export default function QuizEditor(props: {
  readonly courseId: string
  readonly quiz: QuizView | null
  readonly lessonTitle: string
  readonly isPreview: boolean
  /** The lesson to update, or the section to create it in. */
  readonly target: { readonly lessonId: string } | { readonly sectionId: string }
}) {
  const navigate = useNavigate()
  const save = useAction(saveQuiz)
  const [title, setTitle] = createSignal(props.lessonTitle)
  const [preview, setPreview] = createSignal(props.isPreview)
  const [settings, setSettings] = createStore<Settings>(settingsOf(props.quiz))
  // Drafts are made in the browser only: ids generated during server rendering would not survive hydration.
  const [questions, setQuestions] = createStore<Array<Draft>>([])
  onMount(() => setQuestions(props.quiz ? props.quiz.questions.map(fromQuestion) : [blank()]))
  const [problem, setProblem] = createSignal<{ field: string | undefined; message: string }>()
  const [saving, setSaving] = createSignal(false)
  const [saved, setSaved] = createSignal(false)

  const edit = (index: number, change: (draft: Draft) => void) =>
    setQuestions(
      produce((list) => {
        const draft = list[index]
        if (draft !== undefined) change(draft)
      })
    )

  const problemAt = (prefix: string) => {
    const found = problem()
    return found?.field !== undefined && (found.field === prefix || found.field.startsWith(`${prefix}.`))
      ? found.message
      : undefined
  }

  const submit = async (event: SubmitEvent) => {
    event.preventDefault()
    setProblem(undefined)
    setSaved(false)
    setSaving(true)
    const minutes = settings.timeLimitMinutes.trim()
    const result = await save({
      ...("lessonId" in props.target ? { lessonId: props.target.lessonId } : { sectionId: props.target.sectionId }),
      courseId: props.courseId,
      quizId: props.quiz?.id,
      lessonTitle: title(),
      isPreview: preview(),
      questions: questions.map(toQuestion),
      settings: {
        passingScorePercent: numberOrNaN(settings.passingScorePercent),
        attemptLimit: settings.attemptLimit.trim() === "" ? null : numberOrNaN(settings.attemptLimit),
        timeLimitSeconds: minutes === "" ? null : Math.round(numberOrNaN(minutes) * 60),
        shuffleQuestions: settings.shuffleQuestions,
        shuffleOptions: settings.shuffleOptions,
        showExplanations: settings.showExplanations
      }
    }).finally(() => setSaving(false))
    if (!result.ok) {
      const field = typeof result.error.field === "string" ? result.error.field : undefined
      return setProblem({ field, message: result.error.message })
    }
    setSaved(true)
    if (!("lessonId" in props.target)) navigate(`/studio/courses/${props.courseId}/lessons/${result.value.lessonId}`)
  }

  const checkbox = (label: string, checked: () => boolean, set: (value: boolean) => void): JSX.Element => (
    <label class="check">
      <input type="checkbox" checked={checked()} onChange={(event) => set(event.currentTarget.checked)} />
      {label}
    </label>
  )

  return (
    <form class="quiz-editor" onSubmit={(event) => void submit(event)} novalidate data-testid="quiz-editor">
      <div class="form-field">
        <label for="quiz-title">Quiz title</label>
        <input
          id="quiz-title"
          value={title()}
          onInput={(event) => setTitle(event.currentTarget.value)}
          aria-invalid={problemAt("lessonTitle") || problemAt("title") ? "true" : undefined}
          aria-describedby={problemAt("lessonTitle") || problemAt("title") ? "quiz-title-error" : undefined}
        />
        <Show when={problemAt("lessonTitle") ?? problemAt("title")}>
          {(message) => (
            <p class="field-error" id="quiz-title-error" role="alert">
              {message()}
            </p>
          )}
        </Show>
      </div>
      {checkbox("Preview: open to everyone without enrolling", preview, setPreview)}

      <fieldset class="studio-panel">
        <legend>Settings</legend>
        <div class="field-row">
          <div class="form-field">
            <label for="quiz-passing">Passing score (%)</label>
            <input
              id="quiz-passing"
              inputmode="decimal"
              value={settings.passingScorePercent}
              onInput={(event) => setSettings("passingScorePercent", event.currentTarget.value)}
            />
          </div>
          <div class="form-field">
            <label for="quiz-attempts">Attempts allowed</label>
            <input
              id="quiz-attempts"
              inputmode="numeric"
              placeholder="Unlimited"
              aria-describedby="quiz-attempts-hint"
              value={settings.attemptLimit}
              onInput={(event) => setSettings("attemptLimit", event.currentTarget.value)}
            />
            <p class="hint" id="quiz-attempts-hint">
              Empty: unlimited.
            </p>
          </div>
          <div class="form-field">
            <label for="quiz-time">Time limit (minutes)</label>
            <input
              id="quiz-time"
              inputmode="decimal"
              placeholder="Untimed"
              aria-describedby="quiz-time-hint"
              value={settings.timeLimitMinutes}
              onInput={(event) => setSettings("timeLimitMinutes", event.currentTarget.value)}
            />
            <p class="hint" id="quiz-time-hint">
              Empty: untimed.
            </p>
          </div>
          <div class="form-field">
            <label for="quiz-explanations">Show explanations</label>
            <select
              id="quiz-explanations"
              onChange={(event) =>
                setSettings("showExplanations", event.currentTarget.value as Settings["showExplanations"])
              }
            >
              <option value="afterSubmit" selected={settings.showExplanations === "afterSubmit"}>
                After submitting
              </option>
              <option value="afterPassing" selected={settings.showExplanations === "afterPassing"}>
                After passing
              </option>
              <option value="never" selected={settings.showExplanations === "never"}>
                Never
              </option>
            </select>
          </div>
        </div>
        {checkbox(
          "Shuffle questions",
          () => settings.shuffleQuestions,
          (value) => setSettings("shuffleQuestions", value)
        )}
        {checkbox(
          "Shuffle options",
          () => settings.shuffleOptions,
          (value) => setSettings("shuffleOptions", value)
        )}
        <Show when={problemAt("settings")}>
          {(message) => (
            <p class="field-error" role="alert">
              {message()}
            </p>
          )}
        </Show>
      </fieldset>

      <h2>Questions</h2>
      <Show when={problemAt("questions") && problem()?.field === "questions"}>
        <p class="field-error" role="alert">
          {problem()?.message}
        </p>
      </Show>
      <ol class="plain-list">
        <Index each={questions}>
          {(question, index) => (
            <li>
              <QuestionEditor
                question={question()}
                index={index}
                count={questions.length}
                problem={problemAt(`questions.${index}`)}
                edit={(change) => edit(index, change)}
                moveTo={(to) => setQuestions(produce((list) => move(list, index, to)))}
                remove={() => setQuestions(produce((list) => list.splice(index, 1)))}
              />
            </li>
          )}
        </Index>
      </ol>
      <div class="add-question">
        <label for="new-question-kind">New question</label>
        <div class="search-row">
          <select id="new-question-kind">
            <For each={KINDS}>{([kind, name]) => <option value={kind}>{name}</option>}</For>
          </select>
          <button
            type="button"
            class="button button-secondary"
            onClick={(event) => {
              const select = event.currentTarget.parentElement?.querySelector("select")
              const kind = (select?.value ?? "single") as Draft["kind"]
              setQuestions(produce((list) => list.push(blank(kind))))
            }}
          >
            Add question
          </button>
        </div>
      </div>
      <Show
        when={
          problem() !== undefined &&
          !problem()?.field?.startsWith("questions.") &&
          problem()?.field !== "lessonTitle" &&
          problem()?.field !== "title" &&
          !problem()?.field?.startsWith("settings") &&
          problem()?.field !== "questions"
        }
      >
        <p class="form-error" role="alert">
          {problem()?.message}
        </p>
      </Show>
      <Show when={saved()}>
        <p class="notice" role="status">
          Quiz saved.
        </p>
      </Show>
      <button type="submit" class="button" disabled={saving()}>
        {saving() ? "Saving…" : "Save quiz"}
      </button>
    </form>
  )
}

function QuestionEditor(props: {
  readonly question: Draft
  readonly index: number
  readonly count: number
  readonly problem: string | undefined
  readonly edit: (change: (draft: Draft) => void) => void
  readonly moveTo: (index: number) => void
  readonly remove: () => void
}) {
  const id = (part: string) => `q${props.index}-${part}`
  const number = () => props.index + 1
  const text = (label: string, key: string, value: () => string, set: (value: string) => void) => (
    <div class="form-field">
      <label for={id(key)}>{label}</label>
      <input id={id(key)} value={value()} onInput={(event) => set(event.currentTarget.value)} />
    </div>
  )
  const choices = (kind: "single" | "multiple") => (
    <fieldset class="plain-fieldset">
      <legend>Options — mark the correct {kind === "single" ? "one" : "ones"}</legend>
      <Index each={props.question.options}>
        {(option, o) => (
          <div class="option-row">
            <input
              type={kind === "single" ? "radio" : "checkbox"}
              name={id("correct")}
              id={id(`correct-${o}`)}
              checked={props.question.correctOptionIds.includes(option().id)}
              onChange={(event) => {
                const checked = event.currentTarget.checked
                props.edit((draft) => {
                  const optionId = draft.options[o]?.id ?? ""
                  if (kind === "single") draft.correctOptionIds = [optionId]
                  else if (checked) draft.correctOptionIds.push(optionId)
                  else draft.correctOptionIds = draft.correctOptionIds.filter((x) => x !== optionId)
                })
              }}
            />
            <label for={id(`correct-${o}`)} class="visually-hidden">
              Option {o + 1} is correct
            </label>
            <label for={id(`option-${o}`)} class="visually-hidden">
              Option {o + 1}
            </label>
            <input
              id={id(`option-${o}`)}
              placeholder={`Option ${o + 1}`}
              value={option().text}
              onInput={(event) => {
                const value = event.currentTarget.value
                props.edit((draft) => {
                  const target = draft.options[o]
                  if (target) target.text = value
                })
              }}
            />
            <button
              type="button"
              class="icon-button danger"
              aria-label={`Remove option ${o + 1}`}
              title="Remove option"
              onClick={() =>
                props.edit((draft) => {
                  const [removed] = draft.options.splice(o, 1)
                  draft.correctOptionIds = draft.correctOptionIds.filter((x) => x !== removed?.id)
                })
              }
            >
              ✕
            </button>
          </div>
        )}
      </Index>
      <button
        type="button"
        class="button button-small button-secondary"
        onClick={() => props.edit((draft) => draft.options.push(choice()))}
      >
        Add option
      </button>
    </fieldset>
  )
  return (
    <fieldset class="question-card" data-testid="question">
      <legend>Question {number()}</legend>
      <div class="field-row">
        <div class="form-field">
          <label for={id("kind")}>Kind</label>
          <select
            id={id("kind")}
            onChange={(event) => {
              const kind = event.currentTarget.value as Draft["kind"]
              props.edit((draft) => {
                draft.kind = kind
                draft.correctOptionIds = []
              })
            }}
          >
            <For each={KINDS}>
              {([kind, name]) => (
                <option value={kind} selected={props.question.kind === kind}>
                  {name}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="form-field">
          <label for={id("points")}>Points</label>
          <input
            id={id("points")}
            inputmode="numeric"
            value={props.question.points}
            onInput={(event) => {
              const value = event.currentTarget.value
              props.edit((draft) => {
                draft.points = value
              })
            }}
          />
        </div>
      </div>
      <div class="form-field">
        <label for={id("prompt")}>Question {number()} prompt</label>
        <textarea
          id={id("prompt")}
          rows={2}
          value={props.question.prompt}
          onInput={(event) => {
            const value = event.currentTarget.value
            props.edit((draft) => {
              draft.prompt = value
            })
          }}
        />
      </div>
      <Switch>
        <Match when={props.question.kind === "single"}>{choices("single")}</Match>
        <Match when={props.question.kind === "multiple"}>
          {choices("multiple")}
          <label class="check">
            <input
              type="checkbox"
              checked={props.question.partialCredit}
              onChange={(event) => {
                const checked = event.currentTarget.checked
                props.edit((draft) => {
                  draft.partialCredit = checked
                })
              }}
            />
            Partial credit (wrong picks cost points)
          </label>
        </Match>
        <Match when={props.question.kind === "trueFalse"}>
          <fieldset class="plain-fieldset">
            <legend>The statement is</legend>
            <For each={[true, false]}>
              {(value) => (
                <label class="check">
                  <input
                    type="radio"
                    name={id("truth")}
                    checked={props.question.correct === value}
                    onChange={() =>
                      props.edit((draft) => {
                        draft.correct = value
                      })
                    }
                  />
                  {value ? "True" : "False"}
                </label>
              )}
            </For>
          </fieldset>
        </Match>
        <Match when={props.question.kind === "shortText"}>
          <div class="form-field">
            <label for={id("accepted")}>Accepted answers (one per line)</label>
            <textarea
              id={id("accepted")}
              rows={3}
              value={props.question.acceptedAnswers}
              onInput={(event) => {
                const value = event.currentTarget.value
                props.edit((draft) => {
                  draft.acceptedAnswers = value
                })
              }}
            />
          </div>
          <label class="check">
            <input
              type="checkbox"
              checked={props.question.caseSensitive}
              onChange={(event) => {
                const checked = event.currentTarget.checked
                props.edit((draft) => {
                  draft.caseSensitive = checked
                })
              }}
            />
            Case-sensitive
          </label>
        </Match>
        <Match when={props.question.kind === "numeric"}>
          <div class="field-row">
            {text(
              "Answer",
              "answer",
              () => props.question.answer,
              (value) =>
                props.edit((draft) => {
                  draft.answer = value
                })
            )}
            {text(
              "Tolerance (±)",
              "tolerance",
              () => props.question.tolerance,
              (value) =>
                props.edit((draft) => {
                  draft.tolerance = value
                })
            )}
          </div>
        </Match>
        <Match when={props.question.kind === "ordering"}>
          <fieldset class="plain-fieldset">
            <legend>Items in the correct order (learners see them shuffled)</legend>
            <Index each={props.question.options}>
              {(item, i) => (
                <div class="option-row">
                  <label for={id(`item-${i}`)} class="visually-hidden">
                    Item {i + 1}
                  </label>
                  <input
                    id={id(`item-${i}`)}
                    placeholder={`Item ${i + 1}`}
                    value={item().text}
                    onInput={(event) => {
                      const value = event.currentTarget.value
                      props.edit((draft) => {
                        const target = draft.options[i]
                        if (target) target.text = value
                      })
                    }}
                  />
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Move item ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => props.edit((draft) => move(draft.options, i, i - 1))}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Move item ${i + 1} down`}
                    disabled={i === props.question.options.length - 1}
                    onClick={() => props.edit((draft) => move(draft.options, i, i + 1))}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="icon-button danger"
                    aria-label={`Remove item ${i + 1}`}
                    onClick={() => props.edit((draft) => draft.options.splice(i, 1))}
                  >
                    ✕
                  </button>
                </div>
              )}
            </Index>
            <button
              type="button"
              class="button button-small button-secondary"
              onClick={() => props.edit((draft) => draft.options.push(choice()))}
            >
              Add item
            </button>
          </fieldset>
        </Match>
        <Match when={props.question.kind === "matching"}>
          <fieldset class="plain-fieldset">
            <legend>Pairs (learners see the right-hand sides shuffled)</legend>
            <Index each={props.question.pairs}>
              {(pair, p) => (
                <div class="option-row">
                  <label for={id(`left-${p}`)} class="visually-hidden">
                    Pair {p + 1} left
                  </label>
                  <input
                    id={id(`left-${p}`)}
                    placeholder="Left"
                    value={pair().left.text}
                    onInput={(event) => {
                      const value = event.currentTarget.value
                      props.edit((draft) => {
                        const target = draft.pairs[p]
                        if (target) target.left.text = value
                      })
                    }}
                  />
                  <span aria-hidden="true">↔</span>
                  <label for={id(`right-${p}`)} class="visually-hidden">
                    Pair {p + 1} right
                  </label>
                  <input
                    id={id(`right-${p}`)}
                    placeholder="Right"
                    value={pair().right.text}
                    onInput={(event) => {
                      const value = event.currentTarget.value
                      props.edit((draft) => {
                        const target = draft.pairs[p]
                        if (target) target.right.text = value
                      })
                    }}
                  />
                  <button
                    type="button"
                    class="icon-button danger"
                    aria-label={`Remove pair ${p + 1}`}
                    onClick={() => props.edit((draft) => draft.pairs.splice(p, 1))}
                  >
                    ✕
                  </button>
                </div>
              )}
            </Index>
            <button
              type="button"
              class="button button-small button-secondary"
              onClick={() => props.edit((draft) => draft.pairs.push({ left: choice(), right: choice() }))}
            >
              Add pair
            </button>
          </fieldset>
        </Match>
      </Switch>
      <div class="form-field">
        <label for={id("explanation")}>Explanation (optional)</label>
        <textarea
          id={id("explanation")}
          rows={2}
          value={props.question.explanation}
          onInput={(event) => {
            const value = event.currentTarget.value
            props.edit((draft) => {
              draft.explanation = value
            })
          }}
        />
      </div>
      <Show when={props.problem}>
        {(message) => (
          <p class="field-error" role="alert">
            Question {number()}: {message()}
          </p>
        )}
      </Show>
      <div class="row-actions">
        <button
          type="button"
          class="button button-small button-secondary"
          disabled={props.index === 0}
          onClick={() => props.moveTo(props.index - 1)}
        >
          Move up
        </button>
        <button
          type="button"
          class="button button-small button-secondary"
          disabled={props.index === props.count - 1}
          onClick={() => props.moveTo(props.index + 1)}
        >
          Move down
        </button>
        <button type="button" class="button button-small button-secondary" onClick={() => props.remove()}>
          Remove question
        </button>
      </div>
    </fieldset>
  )
}
