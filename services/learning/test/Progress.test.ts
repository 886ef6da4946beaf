// Progress that cannot be faked, on the real catalog and Postgres: seeking adds nothing, forged claims are clipped
// to what the elapsed time allows, 2× playback counts double, articles are completed by hand; enrollment rules.
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, TestClock } from "effect"
import { makeClients, makeLearningTestLayer, publishedCourse, rawCall, serveLearning, userWith } from "./fixtures.ts"

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

describe("learning progress", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped(
      "seeking does not complete a video; watching 90% of it does; forged and 2× claims count what time allows",
      () =>
        Effect.gen(function* () {
          const clients = yield* makeClients
          const { learning, as } = clients
          const creator = yield* userWith("creator")
          const admin = yield* userWith("admin")
          const learner = yield* userWith("learner")
          const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 200 })

          as(learner)
          const enrolled = yield* learning.enrollment.enroll({ courseId: course.courseId })
          expect(enrolled.courseTitle).toBe("Watching for real")
          expect(enrolled.progressPercent).toBe(0)
          const beat = (ranges: ReadonlyArray<readonly [number, number]>, position: number, rate = 1) =>
            learning.progress.heartbeat({
              lessonId: course.videoId,
              mediaPositionSeconds: position,
              playedRanges: ranges.map(([from, to]) => [from, to] as const),
              playbackRate: rate
            })

          // Start, seek to 95%, play 10 s: 10 of 200 seconds watched.
          yield* beat([], 0)
          yield* TestClock.adjust("10 seconds")
          const skipped = yield* beat([[190, 200]], 200)
          expect(skipped.status).toBe("in_progress")
          expect(skipped.watchedPercent).toBe(5)

          // A forged claim 10 s later: 190 s "played"; only 10 s (+2 s jitter allowance) count.
          yield* TestClock.adjust("10 seconds")
          const forged = yield* beat([[0, 190]], 190)
          expect(forged.watchedPercent).toBe(11)
          expect(forged.status).toBe("in_progress")

          // 2×: 10 s of wall time plays 20 s of media.
          yield* TestClock.adjust("10 seconds")
          const doubled = yield* beat([[12, 32]], 32, 2)
          expect(doubled.watchedPercent).toBe(21)

          // Honest playback to 90%: one heartbeat every 10 s.
          let last = doubled
          // With the 10 s already watched at the end, [0, 170) makes 180 of 200 seconds: exactly 90%.
          for (let from = 32; from < 170; from += 10) {
            const to = Math.min(from + 10, 170)
            yield* TestClock.adjust("10 seconds")
            last = yield* beat([[from, to]], to)
            if (to < 170) expect(last.status).toBe("in_progress")
          }
          expect(last.watchedPercent).toBe(90)
          expect(last.status).toBe("completed")

          // The article is completed by hand, and then the whole course is.
          expect(yield* tagOf(learning.progress.completeLesson({ lessonId: course.videoId }))).toBe("InvalidProgress")
          const article = yield* learning.progress.completeLesson({ lessonId: course.articleId })
          expect(article.status).toBe("completed")
          const progress = yield* learning.progress.course({ courseId: course.courseId })
          expect(progress.percent).toBe(100)
          const mine = yield* learning.enrollment.mine()
          expect(mine.map((enrollment) => enrollment.courseId)).toEqual([course.courseId])
          expect(mine[0]?.completedAt).not.toBeNull()
          expect(mine[0]?.lastLessonId).toBe(course.articleId)

          // A stranger sees neither the roster nor anyone's progress; the owner sees the roster.
          const stranger = yield* userWith("learner")
          as(stranger)
          expect(yield* tagOf(learning.enrollment.roster({ courseId: course.courseId }))).toBe("Forbidden")
          expect(yield* tagOf(learning.progress.course({ courseId: course.courseId }))).toBe("NotEnrolled")
          expect(
            yield* tagOf(
              learning.progress.heartbeat({
                lessonId: course.videoId,
                mediaPositionSeconds: 0,
                playedRanges: [],
                playbackRate: 1
              })
            )
          ).toBe("NotEnrolled")
          as(creator)
          const roster = yield* learning.enrollment.roster({ courseId: course.courseId })
          expect(roster.items.map((entry) => entry.userId)).toEqual([learner.id])
          expect(roster.items[0]?.progressPercent).toBe(100)

          // Leaving ends progress reporting.
          as(learner)
          yield* learning.enrollment.leave({ courseId: course.courseId })
          expect(yield* tagOf(learning.enrollment.get({ courseId: course.courseId }))).toBe("NotEnrolled")
          expect(yield* tagOf(learning.enrollment.leave({ courseId: course.courseId }))).toBe("NotEnrolled")
        })
    )

    it.scoped("paid and unpublished courses cannot be joined", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const paid = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60, price: 1900 })
        clients.as(learner)
        expect(yield* tagOf(clients.learning.enrollment.enroll({ courseId: paid.courseId }))).toBe("PaymentRequired")
        clients.as(creator)
        yield* clients.catalog.course.unpublish({ id: paid.courseId })
        clients.as(learner)
        expect(yield* tagOf(clients.learning.enrollment.enroll({ courseId: paid.courseId }))).toBe("CourseNotAvailable")
      })
    )

    it.scoped("hostile heartbeats are refused with typed errors and store nothing", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 200 })
        clients.as(learner)
        yield* clients.learning.enrollment.enroll({ courseId: course.courseId })
        const url = yield* serveLearning
        const heartbeat = (ranges: string, rate = "1") =>
          rawCall(
            url,
            "progress.heartbeat",
            `{"lessonId":"${course.videoId}","mediaPositionSeconds":5,"playedRanges":${ranges},"playbackRate":${rate}}`,
            learner.token
          )
        expect(yield* heartbeat("[[10,5]]")).toBe("InvalidInput")
        expect(yield* heartbeat("[[-1,5]]")).toBe("InvalidInput")
        expect(yield* heartbeat("[[0,null]]")).toBe("InvalidInput")
        expect(yield* heartbeat('[[0,"NaN"]]')).toBe("InvalidInput")
        expect(yield* heartbeat("[[0,5]]", "100")).toBe("InvalidInput")
        expect(
          yield* heartbeat(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => [i / 100, i / 100 + 0.005])))
        ).toBe("InvalidInput")
        expect(yield* heartbeat("[[0,500]]")).toBe("InvalidProgress")
        expect(
          yield* rawCall(
            url,
            "progress.heartbeat",
            `{"lessonId":"${course.articleId}","mediaPositionSeconds":0,"playedRanges":[],"playbackRate":1}`,
            learner.token
          )
        ).toBe("InvalidProgress")
        const progress = yield* clients.learning.progress.course({ courseId: course.courseId })
        expect(progress.lessons.every((lesson) => lesson.status === "not_started")).toBe(true)
        // And a well-formed one is accepted.
        expect(yield* heartbeat("[[0,5]]")).toBe("Success")
      })
    )
  })
})
