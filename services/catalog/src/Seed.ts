// Demo content for a new installation: a small category tree, a demo creator, and three published courses with article and embed lessons.
//
// Everything goes through the Catalog domain service (and Auth for the creator), so the rules, slugs and outbox
// events are exactly those of a creator building a course and an admin approving it. The whole seed is one
// transaction under an advisory lock, and runs only while the catalog has no category: a second run, or a second
// process starting at the same moment, does nothing.
import { SqlClient } from "@effect/sql"
import { Auth } from "@lectern/auth"
import { Auth as AuthContract, type AuthenticatedUser, Catalog as Contract } from "@lectern/contracts"
import { type CategoryId, type CourseId, Email, type Role, UserId } from "@lectern/domain"
import { Effect, Schema } from "effect"
import { Catalog } from "./Catalog.ts"

// ---------------------------------------------------------------- the content

interface DemoLesson {
  readonly title: string
  readonly isPreview?: boolean
  readonly content:
    | { readonly kind: "article"; readonly markdown: string }
    | { readonly kind: "embed"; readonly url: string }
}

interface DemoCourse {
  /** The name of the (sub-)category it is filed under, from DEMO_CATEGORIES. */
  readonly category: string
  readonly title: string
  readonly subtitle: string
  readonly description: string
  readonly level: "beginner" | "intermediate" | "advanced" | "all_levels"
  readonly tags: ReadonlyArray<string>
  readonly sections: ReadonlyArray<{ readonly title: string; readonly lessons: ReadonlyArray<DemoLesson> }>
}

export const DEMO_CATEGORIES: ReadonlyArray<{ readonly name: string; readonly children: ReadonlyArray<string> }> = [
  { name: "Programming", children: ["Web Development", "Functional Programming"] },
  { name: "Data Science", children: ["Machine Learning", "Data Analysis"] },
  { name: "Design", children: ["User Experience"] }
]

const article = (markdown: string) => ({ kind: "article" as const, markdown: markdown.trim() })
const embed = (url: string) => ({ kind: "embed" as const, url })

export const DEMO_COURSES: ReadonlyArray<DemoCourse> = [
  {
    category: "Web Development",
    title: "TypeScript from Zero to Confident",
    subtitle: "Types that catch bugs before your users do",
    description:
      "A hands-on introduction to TypeScript for JavaScript developers. You will set up a project, learn the " +
      "everyday types, narrow unions safely and let the compiler guide your refactors. No prior TypeScript needed.",
    level: "beginner",
    tags: ["typescript", "javascript", "web"],
    sections: [
      {
        title: "Getting started",
        lessons: [
          {
            title: "TypeScript in 100 seconds",
            isPreview: true,
            content: embed("https://www.youtube.com/watch?v=zQnBQ4tB3ZA")
          },
          {
            title: "Why add types to JavaScript?",
            isPreview: true,
            content: article(`
# Why add types to JavaScript?

JavaScript lets you call any function with anything. That freedom is pleasant for ten lines and painful for ten
thousand: a renamed property or a missing \`await\` shows up as a bug report, not as an error in your editor.

TypeScript adds a **type checker** in front of the same JavaScript:

- mistakes are reported *while you type*, with the exact line;
- editors can complete names and rename symbols safely;
- types document what a function expects, and the documentation cannot go stale.

\`\`\`ts
function greet(name: string) {
  return \`Hello, \${name}!\`
}

greet(42) // error: Argument of type 'number' is not assignable to parameter of type 'string'.
\`\`\`

The output is plain JavaScript: types are erased, so they cost nothing at run time.
`)
          },
          {
            title: "Setting up a project",
            content: article(`
# Setting up a project

\`\`\`sh
mkdir hello-ts && cd hello-ts
npm init -y
npm install --save-dev typescript
npx tsc --init
\`\`\`

Open \`tsconfig.json\` and make sure \`"strict": true\` is on: it enables the checks that make TypeScript worth it,
such as \`strictNullChecks\`. Then write \`src/index.ts\` and run \`npx tsc --noEmit\` to check it.

Version control helps you experiment without fear; if Git is new to you, the next video is a two-minute tour.
`)
          },
          { title: "Git in 100 seconds", content: embed("https://youtu.be/hwP7WQkmECE") }
        ]
      },
      {
        title: "Everyday types",
        lessons: [
          {
            title: "Objects, arrays and functions",
            content: article(`
# Objects, arrays and functions

\`\`\`ts
interface Course {
  readonly id: string
  title: string
  tags: ReadonlyArray<string>
  price?: number // optional
}

const titles = (courses: ReadonlyArray<Course>): Array<string> => courses.map((course) => course.title)
\`\`\`

- Prefer \`readonly\` for data you do not mean to change.
- Let inference work for local variables; annotate function parameters and exported values.
- An optional property (\`price?\`) may be missing: the compiler makes you handle that case.
`)
          },
          {
            title: "Unions and narrowing",
            content: article(`
# Unions and narrowing

A value that can be one of several shapes is a **union**. Give each shape a literal tag and TypeScript narrows the
type in each branch:

\`\`\`ts
type Lesson =
  | { kind: "video"; mediaId: string }
  | { kind: "article"; markdown: string }

function describe(lesson: Lesson) {
  switch (lesson.kind) {
    case "video":
      return \`video \${lesson.mediaId}\`
    case "article":
      return \`\${lesson.markdown.length} characters of text\`
  }
}
\`\`\`

Add a third kind and every \`switch\` that forgot it becomes a compile error: the compiler finds the places to
update for you.
`)
          }
        ]
      }
    ]
  },
  {
    category: "Machine Learning",
    title: "Neural Networks, Visually",
    subtitle: "What a network computes, how it learns, and why it works",
    description:
      "Build an intuition for neural networks before the formulas: layers and weights, the cost function, gradient " +
      "descent and backpropagation, illustrated with 3Blue1Brown's celebrated videos and short written recaps.",
    level: "intermediate",
    tags: ["machine learning", "neural networks", "deep learning", "math"],
    sections: [
      {
        title: "The structure of a network",
        lessons: [
          {
            title: "But what is a neural network?",
            isPreview: true,
            content: embed("https://www.youtube.com/watch?v=aircAruvnKk")
          },
          {
            title: "Recap: neurons, layers and weights",
            content: article(`
# Neurons, layers and weights

A **neuron** holds a number between 0 and 1, its *activation*. A layer's activations are computed from the
previous layer's:

$$a^{(1)} = \\sigma\\left(W a^{(0)} + b\\right)$$

- \`W\` is the matrix of **weights**: how strongly each neuron listens to each neuron before it;
- \`b\` is the vector of **biases**: how easily each neuron lights up;
- \`σ\` squashes the result (sigmoid, or more often ReLU today).

A network recognising handwritten digits with two hidden layers of 16 neurons has about 13,000 weights and biases.
Learning means finding good values for all of them.
`)
          },
          {
            title: "Linear algebra refresher: vectors",
            content: embed("https://www.youtube.com/embed/fNk_zzaMoSs")
          }
        ]
      },
      {
        title: "How networks learn",
        lessons: [
          {
            title: "Gradient descent, how neural networks learn",
            content: embed("https://www.youtube.com/watch?v=IHZwWFHWa-w")
          },
          {
            title: "What is backpropagation really doing?",
            content: embed("https://youtu.be/Ilg3gGewQ5U")
          },
          {
            title: "Recap: the cost function and its gradient",
            content: article(`
# The cost function and its gradient

The **cost** of one example is how far the output is from the right answer, e.g. the sum of squared differences.
The cost of the network is the average over all training examples.

Gradient descent repeats one step: compute the gradient of the cost with respect to every weight and bias, and
move each a little *against* it. Backpropagation is the bookkeeping that computes that gradient efficiently,
layer by layer from the output backwards.

Two practical notes:

1. **Stochastic** gradient descent uses small random batches instead of the whole training set per step.
2. The **learning rate** sets the step size: too large and the cost jumps around, too small and learning crawls.
`)
          }
        ]
      }
    ]
  },
  {
    category: "Data Analysis",
    title: "Python for Data Analysis",
    subtitle: "From a CSV file to answers with pandas",
    description:
      "Learn enough Python to be productive, then load, clean, group and summarise real data with pandas. Every " +
      "lesson ends with a short exercise you can run in a notebook.",
    level: "beginner",
    tags: ["python", "pandas", "data analysis"],
    sections: [
      {
        title: "Python essentials",
        lessons: [
          {
            title: "Python in 100 seconds",
            isPreview: true,
            content: embed("https://www.youtube.com/watch?v=x7X9w_GIm1s")
          },
          {
            title: "Lists, dictionaries and comprehensions",
            isPreview: true,
            content: article(`
# Lists, dictionaries and comprehensions

\`\`\`python
scores = [72, 88, 95, 61]
passed = [s for s in scores if s >= 70]          # [72, 88, 95]
by_name = {"ada": 95, "alan": 88}
by_name["grace"] = 72
average = sum(scores) / len(scores)
\`\`\`

**Exercise:** given a list of temperatures in Celsius, build the list in Fahrenheit with a comprehension
(\`f = c * 9 / 5 + 32\`).
`)
          }
        ]
      },
      {
        title: "Working with pandas",
        lessons: [
          {
            title: "Loading and inspecting a dataset",
            content: article(`
# Loading and inspecting a dataset

\`\`\`python
import pandas as pd

df = pd.read_csv("sales.csv", parse_dates=["date"])
df.head()        # the first rows
df.info()        # columns, types and missing values
df.describe()    # count, mean, quartiles of the numeric columns
\`\`\`

Check the types first: a price read as text (\`object\`) because of a stray "N/A" will break every sum later.
\`pd.to_numeric(df["price"], errors="coerce")\` turns the strays into \`NaN\`, which you can then count and decide
about.
`)
          },
          {
            title: "Grouping and summarising",
            content: article(`
# Grouping and summarising

\`\`\`python
monthly = (
    df.assign(month=df["date"].dt.to_period("M"))
      .groupby(["month", "region"], as_index=False)["revenue"]
      .sum()
      .sort_values("revenue", ascending=False)
)
\`\`\`

\`groupby\` splits the rows, the aggregation (\`sum\`, \`mean\`, \`count\`, or \`agg\` with several) combines each group,
and the result is a new DataFrame you can plot with \`monthly.plot.bar(x="month", y="revenue")\`.

**Exercise:** find the three regions with the highest average order value.
`)
          }
        ]
      }
    ]
  }
]

// ---------------------------------------------------------------- seeding

export interface DemoSeedOptions {
  /** The demo creator's address. Default `demo.creator@example.com`. */
  readonly creatorEmail?: string
  /**
   * The demo creator's password. Default: a random one nobody knows (the account still owns the courses; reset
   * its password through the dev outbox to sign in as it).
   */
  readonly creatorPassword?: string
}

export type DemoSeedOutcome =
  | { readonly seeded: false }
  | {
      readonly seeded: true
      readonly creatorId: UserId
      readonly categoryIds: ReadonlyArray<CategoryId>
      readonly courseIds: ReadonlyArray<CourseId>
    }

/** Who the seed acts as where an admin must act (categories, the review): no real account, a fixed id. */
export const SEED_ACTOR_ID = UserId.make("00000000-0000-0000-0000-000000000000")

const actor = (id: UserId, role: Role): AuthenticatedUser => ({
  id,
  role,
  tokenId: "demo-seed",
  sessionId: "demo-seed",
  issuedAt: Math.floor(Date.now() / 1000)
})

const decodeCourse = Schema.decodeUnknown(Contract.CourseCreate)
const decodeLesson = Schema.decodeUnknown(Contract.LessonContentInput)

/**
 * Seeds the demo catalog when it has no category yet; otherwise does nothing. Idempotent and safe to run from
 * several processes at once. Fails only with WeakPassword (a weak `creatorPassword`); anything else is a bug.
 */
export const seedDemoContent = (options: DemoSeedOptions = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const catalog = yield* Catalog
    const auth = yield* Auth

    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(hashtext('lectern.catalog.demo-seed'))`
        if ((yield* catalog.listCategories()).length > 0) return { seeded: false } satisfies DemoSeedOutcome

        const email = yield* Schema.decodeUnknown(Email)(options.creatorEmail ?? "demo.creator@example.com")
        const creator = yield* auth.ensureUser({
          email,
          password: options.creatorPassword ?? `${crypto.randomUUID()}-${crypto.randomUUID()}`,
          name: "Demo Creator",
          role: "creator"
        })
        const asCreator = actor(creator.id, "creator")
        const asSeed = actor(SEED_ACTOR_ID, "admin")

        const categoryIds = new Map<string, CategoryId>()
        for (const root of DEMO_CATEGORIES) {
          const parent = yield* catalog.createCategory(asSeed, { name: root.name })
          categoryIds.set(root.name, parent.id)
          for (const child of root.children) {
            categoryIds.set(child, (yield* catalog.createCategory(asSeed, { name: child, parentId: parent.id })).id)
          }
        }

        const courseIds: Array<CourseId> = []
        for (const demo of DEMO_COURSES) {
          const categoryId = categoryIds.get(demo.category)
          if (categoryId === undefined) return yield* Effect.dieMessage(`no demo category ${demo.category}`)
          const input = yield* decodeCourse({
            title: demo.title,
            subtitle: demo.subtitle,
            description: demo.description,
            categoryId,
            level: demo.level,
            language: "en",
            price: { amount: 0, currency: "EUR" },
            tags: demo.tags
          })
          const course = yield* catalog.createCourse(asCreator, input)
          for (const section of demo.sections) {
            const created = yield* catalog.createSection(asCreator, { courseId: course.id, title: section.title })
            for (const lesson of section.lessons) {
              yield* catalog.createLesson(asCreator, {
                sectionId: created.id,
                title: lesson.title,
                content: yield* decodeLesson(lesson.content),
                isPreview: lesson.isPreview ?? false
              })
            }
          }
          yield* catalog.submitForReview(asCreator, { id: course.id })
          yield* catalog.review(asSeed, { id: course.id, decision: "approve", feedback: "Demo content." })
          courseIds.push(course.id)
        }
        yield* Effect.logInfo("seeded the demo catalog").pipe(
          Effect.annotateLogs({ creatorId: creator.id, courses: courseIds.length })
        )
        return {
          seeded: true,
          creatorId: creator.id,
          categoryIds: [...categoryIds.values()],
          courseIds
        } satisfies DemoSeedOutcome
      })
    )
  }).pipe(
    Effect.catchAll((error) => (error instanceof AuthContract.WeakPassword ? Effect.fail(error) : Effect.die(error))),
    Effect.withSpan("Catalog.seedDemoContent")
  )
