-- [1/1]
SELECT
  "t0"."prediction_id",
  "t0"."timestamp",
  "t0"."model_version",
  "t0"."score",
  CASE
    WHEN "t0"."score" IS NULL
    THEN "t0"."prediction"
    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
  END AS "prediction",
  "t0"."label",
  ABS("t0"."label" - "t0"."score") AS "error_size"
FROM "main"."credit" AS "t0"
WHERE
  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
  AND NOT "t0"."label" IS NULL
  AND NOT "t0"."score" IS NULL
  AND CASE
    WHEN "t0"."score" IS NULL
    THEN "t0"."prediction"
    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
  END <> "t0"."label"
ORDER BY
  ABS("t0"."label" - "t0"."score") DESC,
  "t0"."prediction_id" ASC
LIMIT 5
