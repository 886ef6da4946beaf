// A quiz lesson: earlier attempts, starting an attempt, answering every question kind (choice, true/false, text,
// number, ordering with move buttons, matching), a countdown for timed quizzes, and the graded result.
import { useAction } from "@solidjs/router"
import { createSignal, For, Match, onCleanup, onMount, Show, Switch } from "solid-js"
import { formatDate } from "../../lib/format.ts"
import {
  type Answer,
  type Attempt,
  type AttemptListItem,
  failureText,
  type Graded,
  type OpenAttempt,
  type QuestionView,
  startQuiz,
  submitQuiz
} from "../../lib/learning.ts"
import { clock } from "../../lib/thumbnails.ts"

type Collector = () => { readonly answer: Answer | undefined; readonly problem?: string }

const percent = (value: number) => `${Math.round(value * 100) / 100}%`

function Question(props: {
  readonly question: QuestionView
  readonly number: number
  readonly register: (collect: Collector) => void
  readonly problem: string | undefined
}) {
  const q = props.question
  const id = (suffix: string) => `q-${q.id}-${suffix}`
  const legend = (
    <legend>
      <span class="question-number">Question {props.number}.</span> {q.prompt}{" "}
      <span class="hint">({q.points === 1 ? "1 point" : `${q.points} points`})</span>
    </legend>
  )
  const errorText = () => (
    <Show when={props.problem}>
      {(text) => (
        <p class="field-error" id={id("error")} role="alert">
          {text()}
        </p>
      )}
    </Show>
  )
  switch (q.kind) {
    case "single": {
      const [choice, setChoice] = createSignal<string | undefined>()
      props.register(() => {
        const optionId = choice()
        return { answer: optionId === undefined ? undefined : { kind: "single", questionId: q.id, optionId } }
      })
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <For each={q.options}>
            {(option) => (
              <label class="choice">
                <input type="radio" name={id("choice")} value={option.id} onChange={() => setChoice(option.id)} />{" "}
                {option.text}
              </label>
            )}
          </For>
        </fieldset>
      )
    }
    case "multiple": {
      const [chosen, setChosen] = createSignal<ReadonlyArray<string>>([])
      props.register(() => ({
        answer: chosen().length === 0 ? undefined : { kind: "multiple", questionId: q.id, optionIds: chosen() }
      }))
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <p class="hint">Choose every answer that applies.</p>
          <For each={q.options}>
            {(option) => (
              <label class="choice">
                <input
                  type="checkbox"
                  value={option.id}
                  onChange={(event) => {
                    const on = event.currentTarget.checked
                    setChosen((list) => (on ? [...list, option.id] : list.filter((item) => item !== option.id)))
                  }}
                />{" "}
                {option.text}
              </label>
            )}
          </For>
        </fieldset>
      )
    }
    case "trueFalse": {
      const [value, setValue] = createSignal<boolean | undefined>()
      props.register(() => {
        const chosen = value()
        return { answer: chosen === undefined ? undefined : { kind: "trueFalse", questionId: q.id, value: chosen } }
      })
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <label class="choice">
            <input type="radio" name={id("tf")} value="true" onChange={() => setValue(true)} /> True
          </label>
          <label class="choice">
            <input type="radio" name={id("tf")} value="false" onChange={() => setValue(false)} /> False
          </label>
        </fieldset>
      )
    }
    case "shortText": {
      const [text, setText] = createSignal("")
      props.register(() => ({
        answer: text().trim() === "" ? undefined : { kind: "shortText", questionId: q.id, text: text() }
      }))
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <label for={id("text")} class="visually-hidden">
            Your answer
          </label>
          <input
            id={id("text")}
            type="text"
            maxlength={2000}
            autocomplete="off"
            onInput={(event) => setText(event.currentTarget.value)}
          />
        </fieldset>
      )
    }
    case "numeric": {
      const [raw, setRaw] = createSignal("")
      props.register(() => {
        const trimmed = raw().trim().replace(",", ".")
        if (trimmed === "") return { answer: undefined }
        const value = Number(trimmed)
        return Number.isFinite(value)
          ? { answer: { kind: "numeric", questionId: q.id, value } }
          : { answer: undefined, problem: "Enter a number, like 42 or 3.5." }
      })
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <label for={id("number")} class="visually-hidden">
            Your answer (a number)
          </label>
          <input
            id={id("number")}
            type="text"
            inputmode="decimal"
            autocomplete="off"
            aria-invalid={props.problem ? "true" : undefined}
            aria-describedby={props.problem ? id("error") : undefined}
            onInput={(event) => setRaw(event.currentTarget.value)}
          />
          {errorText()}
        </fieldset>
      )
    }
    case "ordering": {
      const [order, setOrder] = createSignal<ReadonlyArray<string>>(q.items.map((item) => item.id))
      const [announcement, setAnnouncement] = createSignal("")
      const text = (itemId: string) => q.items.find((item) => item.id === itemId)?.text ?? itemId
      const move = (index: number, by: -1 | 1) => {
        const list = [...order()]
        const target = index + by
        const item = list[index]
        const other = list[target]
        if (item === undefined || other === undefined) return
        list[index] = other
        list[target] = item
        setOrder(list)
        setAnnouncement(`${text(item)} moved to position ${target + 1} of ${list.length}.`)
        // Keep focus on the same control of the moved item, so repeated presses keep moving it.
        queueMicrotask(() => {
          const button = document.getElementById(id(`${by < 0 ? "up" : "down"}-${item}`)) as HTMLButtonElement | null
          if (button !== null && !button.disabled) button.focus()
          else document.getElementById(id(`${by < 0 ? "down" : "up"}-${item}`))?.focus()
        })
      }
      props.register(() => ({ answer: { kind: "ordering", questionId: q.id, itemIds: order() } }))
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <p class="hint">Put the items in order with the Up and Down buttons.</p>
          <ol class="ordering">
            <For each={order()}>
              {(itemId, index) => (
                <li data-testid="ordering-item">
                  <span>{text(itemId)}</span>
                  <span class="ordering-buttons">
                    <button
                      type="button"
                      class="button button-small button-secondary"
                      id={id(`up-${itemId}`)}
                      disabled={index() === 0}
                      aria-label={`Move ${text(itemId)} up`}
                      onClick={() => move(index(), -1)}
                    >
                      ↑ Up
                    </button>
                    <button
                      type="button"
                      class="button button-small button-secondary"
                      id={id(`down-${itemId}`)}
                      disabled={index() === order().length - 1}
                      aria-label={`Move ${text(itemId)} down`}
                      onClick={() => move(index(), 1)}
                    >
                      ↓ Down
                    </button>
                  </span>
                </li>
              )}
            </For>
          </ol>
          <p class="visually-hidden" aria-live="polite">
            {announcement()}
          </p>
        </fieldset>
      )
    }
    case "matching": {
      const [pairs, setPairs] = createSignal<Readonly<Record<string, string>>>({})
      props.register(() => {
        const chosen = Object.entries(pairs())
          .filter(([, rightId]) => rightId !== "")
          .map(([leftId, rightId]) => ({ leftId, rightId }))
        return { answer: chosen.length === 0 ? undefined : { kind: "matching", questionId: q.id, pairs: chosen } }
      })
      return (
        <fieldset class="question" data-testid="question" data-kind={q.kind}>
          {legend}
          <p class="hint">Match each item on the left with one on the right.</p>
          <For each={q.lefts}>
            {(left) => (
              <div class="matching-row">
                <label for={id(`match-${left.id}`)}>{left.text}</label>
                <select
                  id={id(`match-${left.id}`)}
                  onChange={(event) => {
                    const value = event.currentTarget.value
                    setPairs((current) => ({ ...current, [left.id]: value }))
                  }}
                >
                  <option value="">Choose…</option>
                  <For each={q.rights}>{(right) => <option value={right.id}>{right.text}</option>}</For>
                </select>
              </div>
            )}
          </For>
        </fieldset>
      )
    }
  }
}

function Result(props: { readonly graded: Graded; readonly attempt: Attempt }) {
  const prompt = (questionId: string) => props.attempt.questions.find((q) => q.id === questionId)?.prompt ?? ""
  return (
    <section class="quiz-result" aria-labelledby="quiz-result-title" data-testid="quiz-result">
      <h3 id="quiz-result-title" tabindex="-1">
        {props.graded.passed ? "Passed" : "Not passed yet"}: {percent(props.graded.scorePercent)}
      </h3>
      <p>
        {props.graded.pointsAwarded} of {props.graded.pointsPossible} points.
        <Show when={props.graded.late}> Your answers arrived just after the time limit.</Show>
      </p>
      <ol class="result-list">
        <For each={props.graded.results}>
          {(result) => (
            <li classList={{ correct: result.correct, incorrect: !result.correct }}>
              <p>
                <strong>{result.correct ? "Correct" : "Not correct"}</strong> — {prompt(result.questionId)}{" "}
                <span class="hint">
                  ({result.pointsAwarded} / {result.pointsPossible})
                </span>
              </p>
              <Show when={result.explanation}>{(text) => <p class="explanation">{text()}</p>}</Show>
            </li>
          )}
        </For>
      </ol>
    </section>
  )
}

export default function QuizRunner(props: {
  readonly quizId: string
  readonly attempts: ReadonlyArray<AttemptListItem>
  /** An attempt started before this page was loaded: it is continued rather than a new one started. */
  readonly open: OpenAttempt | null
  readonly onGraded: (graded: Graded) => void
}) {
  const start = useAction(startQuiz)
  const submit = useAction(submitQuiz)
  const [attempt, setAttempt] = createSignal<Attempt | undefined>()
  const [graded, setGraded] = createSignal<Graded | undefined>()
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | undefined>()
  const [problems, setProblems] = createSignal<Readonly<Record<string, string>>>({})
  const [remaining, setRemaining] = createSignal<number | undefined>()
  let collectors = new Map<string, Collector>()
  let timer: ReturnType<typeof setInterval> | undefined

  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }
  onCleanup(stopTimer)

  const passed = () => props.attempts.some((item) => item.passed === true)

  /** Counts down to `deadline` (the server's), shifted by how far this clock runs ahead of the server's. */
  const countDown = (deadline: string | null, skew: number) => {
    stopTimer()
    if (deadline === null) return setRemaining(undefined)
    const ends = Date.parse(deadline) + Math.max(0, skew)
    const tick = () => {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000))
      setRemaining(left)
      if (left === 0) {
        stopTimer()
        void hand(true)
      }
    }
    tick()
    timer = setInterval(tick, 1000)
  }

  // A continued attempt is shown once the page runs in the browser (rendered there, like a new one), its countdown
  // measured against the server's time when the page was made.
  onMount(() => {
    const open = props.open
    if (open === null) return
    setAttempt(open.attempt)
    countDown(open.attempt.deadline, Date.now() - Date.parse(open.serverNow))
  })

  const begin = async () => {
    setBusy(true)
    setError(undefined)
    setGraded(undefined)
    collectors = new Map()
    const result = await start(props.quizId).catch(() => undefined)
    setBusy(false)
    if (result === undefined) return setError("The quiz could not be started. Try again.")
    if (!result.ok) return setError(failureText(result.error))
    setAttempt(result.value)
    // The server's clock fixed the deadline; measure it from when the attempt started, on this clock.
    countDown(result.value.deadline, Date.now() - Date.parse(result.value.startedAt))
    queueMicrotask(() => document.getElementById("quiz-attempt-title")?.focus())
  }

  const hand = async (timeUp: boolean) => {
    const current = attempt()
    if (current === undefined || busy()) return
    const answers: Array<Answer> = []
    const found: Record<string, string> = {}
    for (const question of current.questions) {
      const collected = collectors.get(question.id)?.()
      if (collected?.problem !== undefined) found[question.id] = collected.problem
      else if (collected?.answer !== undefined) answers.push(collected.answer)
    }
    setProblems(found)
    if (!timeUp && Object.keys(found).length > 0) return setError("Some answers need fixing before you submit.")
    setBusy(true)
    setError(undefined)
    const result = await submit(current.attemptId, answers).catch(() => undefined)
    setBusy(false)
    stopTimer()
    if (result === undefined) return setError("Your answers could not be sent. Try again.")
    if (!result.ok) return setError(failureText(result.error))
    setGraded(result.value)
    props.onGraded(result.value)
    queueMicrotask(() => document.getElementById("quiz-result-title")?.focus())
  }

  return (
    <div class="quiz" data-testid="quiz">
      <Show when={props.attempts.length > 0}>
        <details class="attempt-history">
          <summary>Your attempts ({props.attempts.length})</summary>
          <ul>
            <For each={props.attempts}>
              {(item) => (
                <li>
                  Attempt {item.attemptNumber}, {formatDate(item.startedAt)}:{" "}
                  {item.status === "submitted" && item.scorePercent !== null
                    ? `${percent(item.scorePercent)} — ${item.passed ? "passed" : "not passed"}`
                    : item.status === "expired"
                      ? "time ran out"
                      : "not submitted"}
                </li>
              )}
            </For>
          </ul>
        </details>
      </Show>
      <Switch>
        <Match when={graded()}>
          {(result) => (
            <>
              <Result graded={result()} attempt={attempt() as Attempt} />
              <Show when={!result().passed}>
                <button type="button" class="button" onClick={begin} disabled={busy()}>
                  Try again
                </button>
              </Show>
            </>
          )}
        </Match>
        <Match when={attempt()}>
          {(current) => (
            <form
              class="quiz-form"
              onSubmit={(event) => {
                event.preventDefault()
                void hand(false)
              }}
              novalidate
            >
              <div class="quiz-head">
                <h3 id="quiz-attempt-title" tabindex="-1">
                  Attempt {current().attemptNumber}
                </h3>
                <Show when={remaining() !== undefined}>
                  <p class="countdown" classList={{ urgent: (remaining() ?? 0) <= 30 }} data-testid="countdown">
                    <span role="timer" aria-live="off">
                      Time left: {clock(remaining() ?? 0)}
                    </span>
                  </p>
                  <p class="visually-hidden" aria-live="assertive">
                    {remaining() === 60 ? "One minute left." : remaining() === 0 ? "Time is up." : ""}
                  </p>
                </Show>
              </div>
              <Show when={current().attemptId === props.open?.attempt.attemptId}>
                <p class="hint" data-testid="quiz-resumed">
                  You started this attempt earlier: it goes on where you left it, with the same questions and time
                  limit. Answers you gave before leaving the page were not kept.
                </p>
              </Show>
              <For each={current().questions}>
                {(question, index) => (
                  <Question
                    question={question}
                    number={index() + 1}
                    problem={problems()[question.id]}
                    register={(collect) => collectors.set(question.id, collect)}
                  />
                )}
              </For>
              <button type="submit" class="button" disabled={busy()}>
                {busy() ? "Submitting…" : "Submit answers"}
              </button>
            </form>
          )}
        </Match>
        <Match when={props.open !== null && attempt() === undefined && graded() === undefined}>
          <p data-testid="quiz-continuing">Continuing your attempt…</p>
        </Match>
        <Match when={true}>
          <p>
            {passed()
              ? "You passed this quiz. You may take it again to practise."
              : "Answer every question, then submit to see your result."}
          </p>
          <button type="button" class="button" onClick={begin} disabled={busy()} data-testid="start-quiz">
            {busy() ? "Starting…" : props.attempts.length > 0 ? "Start a new attempt" : "Start the quiz"}
          </button>
        </Match>
      </Switch>
      <Show when={error()}>
        {(text) => (
          <p class="form-error" role="alert" data-testid="quiz-error">
            {text()}
          </p>
        )}
      </Show>
    </div>
  )
}
