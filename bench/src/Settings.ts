// How long and how hard the bench runs: BENCH_* environment variables, checked, with defaults under ~6 minutes.

export const SECTIONS = ["userMe", "login", "rpcOverhead", "search", "media", "heartbeat", "web"] as const
export type Section = (typeof SECTIONS)[number]

export interface BenchSettings {
  /** Seconds of each measured load run. */
  readonly durationSeconds: number
  /** Seconds of the unmeasured run each server gets before the rounds. */
  readonly warmupSeconds: number
  readonly rounds: number
  /** Connections for user.me and its baselines. */
  readonly connections: number
  /** Connections for session.login, and concurrent verifies for its argon2 baseline. */
  readonly loginConnections: number
  /** Connections for course.search and its baselines. */
  readonly searchConnections: number
  /** Published courses seeded for course.search. */
  readonly searchCourses: number
  /** Length in seconds of the generated 1080p source the media section transcodes. */
  readonly mediaSeconds: number
  /** Rounds of the transcode comparison (each round transcodes the source three times). */
  readonly mediaRounds: number
  /** Connections for the HLS segment GETs (Lectern and nginx). */
  readonly mediaConnections: number
  /** Connections for progress.heartbeat and its baseline, each a distinct learner. */
  readonly heartbeatConnections: number
  /** Connections for the server-rendered course page and its course.get baseline. */
  readonly webConnections: number
  /** Cold page loads in Chromium for the first-contentful-paint figure. */
  readonly webPaints: number
  readonly sections: ReadonlyArray<Section>
  /** A database there that may CREATE DATABASE; the bench database is created beside it. */
  readonly postgresUrl: string
  /** When set, every server child runs with `--cpu-prof` and writes `<name>.cpuprofile` here. */
  readonly profileDir: string | undefined
  /** Where the results JSON goes. */
  readonly resultsFile: string
  /**
   * The checkout whose `services/gateway/src/main.ts` is the candidate (default: this one). A patched copy there
   * measures a change against the same baselines without touching this tree.
   */
  readonly gatewayRoot: string | undefined
}

export class InvalidSetting extends Error {
  override readonly name = "InvalidSetting"
}

const isSection = (value: string): value is Section => SECTIONS.some((section) => section === value)

const positive = (
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  integer: boolean
) => {
  const text = env[name]
  if (text === undefined || text.trim() === "") return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidSetting(
      `${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`
    )
  }
  return value
}

/** Reads the settings; throws InvalidSetting with the variable's name on anything unusable. */
export const settingsFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  defaultResultsFile: string
): BenchSettings => {
  const sectionsText = env.BENCH_SECTIONS?.trim()
  const sections =
    sectionsText === undefined || sectionsText === ""
      ? [...SECTIONS]
      : sectionsText.split(",").map((name) => {
          const trimmed = name.trim()
          if (!isSection(trimmed)) {
            throw new InvalidSetting(`BENCH_SECTIONS: unknown section ${JSON.stringify(trimmed)}; known: ${SECTIONS}`)
          }
          return trimmed
        })
  const profileDir = env.BENCH_PROFILE_DIR?.trim()
  return {
    durationSeconds: positive(env, "BENCH_DURATION", 5, false),
    warmupSeconds: positive(env, "BENCH_WARMUP", 2, false),
    rounds: positive(env, "BENCH_ROUNDS", 3, true),
    connections: positive(env, "BENCH_CONNECTIONS", 32, true),
    loginConnections: positive(env, "BENCH_LOGIN_CONNECTIONS", 8, true),
    searchConnections: positive(env, "BENCH_SEARCH_CONNECTIONS", 64, true),
    searchCourses: positive(env, "BENCH_SEARCH_COURSES", 10_000, true),
    mediaSeconds: positive(env, "BENCH_MEDIA_SECONDS", 20, false),
    mediaRounds: positive(env, "BENCH_MEDIA_ROUNDS", 3, true),
    mediaConnections: positive(env, "BENCH_MEDIA_CONNECTIONS", 16, true),
    heartbeatConnections: positive(env, "BENCH_HEARTBEAT_CONNECTIONS", 64, true),
    webConnections: positive(env, "BENCH_WEB_CONNECTIONS", 16, true),
    webPaints: positive(env, "BENCH_WEB_PAINTS", 9, true),
    sections,
    postgresUrl: env.BENCH_POSTGRES_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres",
    profileDir: profileDir === undefined || profileDir === "" ? undefined : profileDir,
    resultsFile: env.BENCH_RESULTS_FILE?.trim() || defaultResultsFile,
    gatewayRoot: env.BENCH_GATEWAY_ROOT?.trim() || undefined
  }
}
