-- [1/1]
SELECT
  *
FROM "main"."credit" AS "t0"
WHERE
  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
ORDER BY
  CAST(CAST(HASH("t0"."prediction_id") AS BIT) AS BIGINT) ASC
LIMIT 50
