-- The learning schema: a snapshot of the catalog's curricula, enrollments, and per-lesson progress.

-- What learning knows of a course, refreshed from catalog on its events (and on first use).
CREATE TABLE learning.courses (
  course_id uuid PRIMARY KEY,
  owner_id uuid NOT NULL,
  title text NOT NULL,
  published boolean NOT NULL,
  price_amount bigint NOT NULL,
  price_currency text NOT NULL,
  category_id uuid,
  refreshed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE learning.lessons (
  lesson_id uuid PRIMARY KEY,
  course_id uuid NOT NULL REFERENCES learning.courses (course_id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('video', 'embed', 'article', 'quiz')),
  duration_seconds integer NOT NULL,
  position integer NOT NULL
);
CREATE INDEX lessons_course ON learning.lessons (course_id, position);

CREATE TABLE learning.enrollments (
  user_id uuid NOT NULL,
  course_id uuid NOT NULL REFERENCES learning.courses (course_id) ON DELETE CASCADE,
  enrollment_id uuid NOT NULL UNIQUE,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  last_lesson_id uuid,
  completed_at timestamptz,
  PRIMARY KEY (user_id, course_id)
);
CREATE INDEX enrollments_course ON learning.enrollments (course_id, enrolled_at, user_id);

-- One row per learner and lesson: the merged watched ranges, and the server time of the last heartbeat (the clock
-- that bounds what the next one may claim).
CREATE TABLE learning.lesson_progress (
  user_id uuid NOT NULL,
  lesson_id uuid NOT NULL,
  course_id uuid NOT NULL,
  watched jsonb NOT NULL DEFAULT '[]',
  watched_share double precision NOT NULL DEFAULT 0,
  resume_position double precision NOT NULL DEFAULT 0,
  last_heartbeat_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, lesson_id)
);
CREATE INDEX lesson_progress_course ON learning.lesson_progress (user_id, course_id);
