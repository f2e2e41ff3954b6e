-- [1/1]
SELECT
  "t4"."trace_id",
  "t4"."name",
  "t4"."start_ns",
  "t4"."duration_ms",
  "t4"."errors",
  "t4"."message"
FROM (
  SELECT
    "t2"."trace_id",
    "t2"."errors",
    "t2"."start_ns",
    "t2"."end_ns",
    "t2"."name",
    "t2"."message",
    CAST("t2"."end_ns" - "t2"."start_ns" AS DOUBLE) / 1000000.0 AS "duration_ms"
  FROM (
    SELECT
      "t1"."trace_id",
      SUM(CAST("t1"."status" = 'error' AS BIGINT)) AS "errors",
      MIN("t1"."start_ns") AS "start_ns",
      MAX("t1"."end_ns") AS "end_ns",
      FIRST("t1"."name" ORDER BY "t1"."start_ns") AS "name",
      MAX("t1"."status_message") AS "message"
    FROM (
      SELECT
        *
      FROM "spans"."spans" AS "t0"
      WHERE
        "t0"."start_ns" >= 1770681600000000000 AND "t0"."start_ns" < 1772409600000000000
    ) AS "t1"
    GROUP BY
      1
  ) AS "t2"
  WHERE
    "t2"."errors" > 0
  ORDER BY
    "t2"."start_ns" DESC,
    "t2"."trace_id" ASC
  LIMIT 20
) AS "t4"
