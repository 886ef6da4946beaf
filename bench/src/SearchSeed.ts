// The course.search bench's catalog: a category tree and N published courses with varied titles, written by SQL at once.
import { randomUUID } from "node:crypto"
import pg from "pg"

interface Subcategory {
  readonly name: string
  /** Course topics filed here; `related` is a word the descriptions mention beside the topic. */
  readonly topics: ReadonlyArray<{ readonly name: string; readonly tags: string; readonly related: string }>
}

/** Roots and their sub-categories, each with the topics its courses teach. */
const TREE: ReadonlyArray<{ readonly name: string; readonly children: ReadonlyArray<Subcategory> }> = [
  {
    name: "Programming",
    children: [
      {
        name: "Web Development",
        topics: [
          { name: "JavaScript", tags: "javascript,web,frontend", related: "the browser" },
          { name: "TypeScript", tags: "typescript,javascript,web", related: "type-safe APIs" },
          { name: "React", tags: "react,javascript,frontend", related: "hooks" },
          { name: "Node.js", tags: "node,javascript,backend", related: "REST APIs" },
          { name: "CSS", tags: "css,web,design", related: "responsive layouts" },
          { name: "Django", tags: "django,python,web", related: "Python" }
        ]
      },
      {
        name: "Backend Development",
        topics: [
          { name: "Python", tags: "python,programming,scripting", related: "automation" },
          { name: "Go", tags: "go,golang,backend", related: "concurrency" },
          { name: "Rust", tags: "rust,systems,performance", related: "memory safety" },
          { name: "Java", tags: "java,jvm,backend", related: "Spring Boot" },
          { name: "SQL", tags: "sql,databases,postgres", related: "query tuning" },
          { name: "Docker", tags: "docker,devops,containers", related: "Kubernetes" }
        ]
      },
      {
        name: "Mobile Development",
        topics: [
          { name: "Swift", tags: "swift,ios,mobile", related: "SwiftUI" },
          { name: "Kotlin", tags: "kotlin,android,mobile", related: "Jetpack Compose" },
          { name: "Flutter", tags: "flutter,dart,mobile", related: "cross-platform apps" }
        ]
      }
    ]
  },
  {
    name: "Data Science",
    children: [
      {
        name: "Machine Learning",
        topics: [
          { name: "Machine Learning", tags: "machine learning,ai,python", related: "Python" },
          { name: "Deep Learning", tags: "deep learning,neural networks,ai", related: "Python" },
          { name: "PyTorch", tags: "pytorch,deep learning,python", related: "GPU training" },
          { name: "Natural Language Processing", tags: "nlp,ai,text", related: "transformers" }
        ]
      },
      {
        name: "Data Analysis",
        topics: [
          { name: "Pandas", tags: "pandas,python,data analysis", related: "Python" },
          { name: "Statistics", tags: "statistics,math,data", related: "hypothesis testing" },
          { name: "Excel", tags: "excel,spreadsheets,business", related: "pivot tables" },
          { name: "Data Visualization", tags: "visualization,charts,data", related: "storytelling" }
        ]
      }
    ]
  },
  {
    name: "Design",
    children: [
      {
        name: "User Experience",
        topics: [
          { name: "Figma", tags: "figma,ui,design", related: "design systems" },
          { name: "User Research", tags: "ux,research,interviews", related: "usability testing" }
        ]
      },
      {
        name: "Graphic Design",
        topics: [
          { name: "Photoshop", tags: "photoshop,photo editing,design", related: "retouching" },
          { name: "Typography", tags: "typography,fonts,design", related: "layout" }
        ]
      }
    ]
  },
  {
    name: "Business",
    children: [
      {
        name: "Marketing",
        topics: [
          { name: "SEO", tags: "seo,marketing,content", related: "keyword research" },
          { name: "Social Media Marketing", tags: "social media,marketing,ads", related: "analytics" }
        ]
      },
      {
        name: "Finance",
        topics: [
          { name: "Accounting", tags: "accounting,finance,business", related: "bookkeeping" },
          { name: "Investing", tags: "investing,stocks,finance", related: "index funds" }
        ]
      }
    ]
  },
  {
    name: "Languages",
    children: [
      {
        name: "Spoken Languages",
        topics: [
          { name: "Spanish", tags: "spanish,language,conversation", related: "travel phrases" },
          { name: "Japanese", tags: "japanese,language,kanji", related: "hiragana" },
          { name: "German", tags: "german,language,grammar", related: "everyday conversation" }
        ]
      }
    ]
  },
  {
    name: "Music",
    children: [
      {
        name: "Instruments",
        topics: [
          { name: "Guitar", tags: "guitar,music,chords", related: "music theory" },
          { name: "Piano", tags: "piano,music,keyboard", related: "sight reading" }
        ]
      }
    ]
  }
]

const ADJECTIVES = [
  "Complete",
  "Practical",
  "Modern",
  "Hands-on",
  "Advanced",
  "Essential",
  "Mastering",
  "Introduction to",
  "Professional",
  "The Art of",
  "Applied",
  "Effective"
]
const SUFFIXES = [
  "for Beginners",
  "Bootcamp",
  "in 30 Days",
  "from Scratch",
  "Masterclass",
  "by Building Projects",
  "Crash Course",
  "Deep Dive",
  "for Professionals",
  "Fundamentals",
  "",
  "Zero to Hero"
]
const PHRASES = [
  "step by step, from the first line to a finished project",
  "through short videos, quizzes and real exercises",
  "the way professionals use it every day",
  "with downloadable resources for every section",
  "at your own pace, with lifetime access",
  "by solving problems taken from real companies",
  "with a capstone project you can show employers",
  "from the fundamentals to the advanced patterns"
]

/**
 * One statement for every course: the topic of course i, its title (adjective + topic + suffix, every combination
 * once before any repeats), a description that
 * mentions a related subject, tags, level, language, price, ratings, enrollments and a publication time i × 17
 * minutes ago — all published.
 */
const INSERT_COURSES = `
WITH topic AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
    WITH ORDINALITY AS t(name, category_id, tags, related, k)
),
words AS (
  SELECT $5::text[] AS adjectives, $6::text[] AS suffixes, $7::text[] AS phrases, $8::uuid[] AS owners,
    (SELECT count(*)::int FROM topic) AS topics
),
course AS (
  SELECT i, topic.name AS topic, topic.category_id, topic.tags, topic.related, words.owners,
    trim(words.adjectives[1 + (i / words.topics) % cardinality(words.adjectives)] || ' ' || topic.name || ' ' ||
      words.suffixes[1 + (i / (words.topics * cardinality(words.adjectives))) % cardinality(words.suffixes)])
      AS title,
    words.phrases[1 + i % cardinality(words.phrases)] AS phrase,
    words.phrases[1 + (i / 7) % cardinality(words.phrases)] AS phrase2
  FROM generate_series(1, $9::int) AS i
  CROSS JOIN words
  JOIN topic ON topic.k = 1 + (i * 7) % words.topics
)
INSERT INTO catalog.courses (id, slug, owner_id, title, subtitle, description, category_id, level, language,
  price_amount, price_currency, tags, status, published_at, rating_sum, rating_count, enrollment_count,
  lesson_count, duration_seconds)
SELECT gen_random_uuid(),
  trim(both '-' from lower(regexp_replace(title, '[^A-Za-z0-9]+', '-', 'g'))) || '-' || i,
  owners[1 + i % cardinality(owners)],
  title,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'Learn ' || topic || ' ' || phrase END,
  'Learn ' || topic || ' ' || phrase || '. This course covers ' || related || ' and ' ||
    replace(tags, ',', ', ') || ', ' || phrase2 || '. Every lesson ends with an exercise, and the last section ' ||
    'walks through a complete project you can adapt to your own work.',
  category_id,
  (ARRAY['beginner', 'intermediate', 'advanced', 'all_levels'])[1 + (i / 2) % 4],
  (ARRAY['en', 'en', 'en', 'en', 'es', 'fr', 'de', 'pt-BR'])[1 + (i / 5) % 8],
  CASE WHEN i % 5 = 0 THEN 0 ELSE 1990 + (i % 8) * 1000 END,
  'EUR',
  string_to_array(tags, ','),
  'published',
  date_trunc('milliseconds', now() - make_interval(mins => i * 17)),
  ((i * 37) % 400) * (30 + (i * 11) % 21) / 10,
  (i * 37) % 400,
  (i * 7919) % 25000,
  6 + i % 40,
  (6 + i % 40) * (300 + (i % 9) * 60)
FROM course`

export interface SearchCatalog {
  /** Root category name → id. */
  readonly roots: ReadonlyMap<string, string>
  readonly courses: number
}

/** Fills an empty catalog schema (the gateway has migrated it) with the tree and `courses` published courses. */
export const seedSearchCatalog = async (databaseUrl: string, courses: number): Promise<SearchCatalog> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query("BEGIN")
    const roots = new Map<string, string>()
    const topicNames: Array<string> = []
    const topicCategories: Array<string> = []
    const topicTags: Array<string> = []
    const topicRelated: Array<string> = []
    const slug = (name: string) => `bench-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`
    for (const root of TREE) {
      const rootId = randomUUID()
      roots.set(root.name, rootId)
      await client.query("INSERT INTO catalog.categories (id, name, slug) VALUES ($1, $2, $3)", [
        rootId,
        root.name,
        slug(root.name)
      ])
      for (const child of root.children) {
        const childId = randomUUID()
        await client.query("INSERT INTO catalog.categories (id, parent_id, name, slug) VALUES ($1, $2, $3, $4)", [
          childId,
          rootId,
          child.name,
          slug(child.name)
        ])
        for (const topic of child.topics) {
          topicNames.push(topic.name)
          topicCategories.push(childId)
          topicTags.push(topic.tags)
          topicRelated.push(topic.related)
        }
      }
    }
    const owners = Array.from({ length: 200 }, () => randomUUID())
    await client.query(INSERT_COURSES, [
      topicNames,
      topicCategories,
      topicTags,
      topicRelated,
      ADJECTIVES,
      SUFFIXES,
      PHRASES,
      owners,
      courses
    ])
    await client.query("COMMIT")
    // Fresh statistics, as a catalog that grew over time would have: the planner needs them for the GIN index. And
    // vacuumed now (the GIN pending list merged, the visibility map set), so autovacuum does not do it during a
    // measurement: 10,000 inserts pass its insert threshold, and the media section's first transcode paid for it.
    await client.query("VACUUM (ANALYZE) catalog.categories")
    await client.query("VACUUM (ANALYZE) catalog.courses")
    return { roots, courses }
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {})
    throw error
  } finally {
    await client.end()
  }
}
