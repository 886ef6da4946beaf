-- Certificates: one per learner and course, issued when every lesson is complete and every quiz passed.
CREATE TABLE learning.certificates (
  id text PRIMARY KEY,
  user_id uuid NOT NULL,
  course_id uuid NOT NULL,
  learner_name text NOT NULL,
  course_title text NOT NULL,
  issued_at timestamptz NOT NULL,
  -- HMAC over (learner, course, issued_at, id) with the server's secret; looked up by `certificate.verify`.
  code text NOT NULL UNIQUE,
  UNIQUE (user_id, course_id)
);
