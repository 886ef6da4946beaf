-- Assignments set by a course's owner, learners' submissions (one per learner and assignment, replaced on
-- resubmission until graded or due), and the uploaded files attached to them.

CREATE TABLE learning.assignments (
  id uuid PRIMARY KEY,
  course_id uuid NOT NULL,
  title text NOT NULL,
  instructions text NOT NULL,
  rubric text NOT NULL DEFAULT '',
  max_score integer NOT NULL CHECK (max_score BETWEEN 1 AND 1000),
  due_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX assignments_course ON learning.assignments (course_id) WHERE deleted_at IS NULL;

CREATE TABLE learning.assignment_submissions (
  id uuid PRIMARY KEY,
  assignment_id uuid NOT NULL REFERENCES learning.assignments (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  text text,
  -- 1 for the first submission, +1 per resubmission; the upsert that bumps it also locks the row, so a learner's
  -- concurrent submissions serialise.
  revision integer NOT NULL DEFAULT 1,
  submitted_at timestamptz NOT NULL,
  score double precision CHECK (score >= 0),
  feedback text,
  graded_at timestamptz,
  graded_by uuid,
  UNIQUE (assignment_id, user_id)
);

-- An upload is attached once, anywhere: media marked it consumed when learning took it.
CREATE TABLE learning.submission_attachments (
  upload_id text PRIMARY KEY,
  submission_id uuid NOT NULL REFERENCES learning.assignment_submissions (id) ON DELETE CASCADE,
  filename text NOT NULL,
  size_bytes bigint NOT NULL,
  content_type text NOT NULL,
  position integer NOT NULL
);
CREATE INDEX submission_attachments_submission ON learning.submission_attachments (submission_id, position);
