-- Quizzes authored by a course's owner, and learners' attempts at them.

CREATE TABLE learning.quizzes (
  id uuid PRIMARY KEY,
  course_id uuid NOT NULL,
  title text NOT NULL,
  -- The authoring form, answers included; never sent to a learner (see QuizGrading.viewForLearner).
  questions jsonb NOT NULL,
  settings jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX quizzes_course ON learning.quizzes (course_id) WHERE deleted_at IS NULL;

CREATE TABLE learning.quiz_attempts (
  id uuid PRIMARY KEY,
  quiz_id uuid NOT NULL REFERENCES learning.quizzes (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  -- Numbered per learner and quiz; the unique index makes two concurrent starts past the limit impossible.
  attempt_number integer NOT NULL,
  started_at timestamptz NOT NULL,
  deadline timestamptz,
  submitted_at timestamptz,
  score_percent double precision,
  passed boolean,
  late boolean NOT NULL DEFAULT false,
  grade jsonb,
  UNIQUE (quiz_id, user_id, attempt_number)
);
CREATE INDEX quiz_attempts_user ON learning.quiz_attempts (user_id, quiz_id);
