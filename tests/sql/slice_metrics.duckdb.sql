-- [1/3]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."region"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
)
SELECT
  *
FROM (
  SELECT
    "t1"."v",
    "t1"."n",
    0 AS "i"
  FROM (
    SELECT
      "t0"."region" AS "v",
      COUNT(*) AS "n"
    FROM "_diaglab_rows" AS "t0"
    GROUP BY
      1
  ) AS "t1"
) AS "_q"

-- [2/3]
SELECT
  BOOL_OR(CAST(NOT "t0"."score" IS NULL AS BOOLEAN)) AS "Any(NotNull(score))"
FROM "main"."credit" AS "t0"

-- [3/3]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."prediction_id",
    "t0"."timestamp",
    "t0"."model_version",
    CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END AS "prediction",
    "t0"."score",
    "t0"."latency_ms",
    "t0"."trace_id",
    "t0"."error",
    "t0"."metadata",
    "t0"."label",
    "t0"."label_timestamp",
    "t0"."cpu_ms",
    "t0"."wall_ms",
    "t0"."rss_peak_mb",
    "t0"."rss_peak_delta_mb",
    "t0"."gpu_memory_mb",
    "t0"."gpu_utilization",
    "t0"."batch_rows",
    "t0"."input_values",
    "t0"."age",
    "t0"."income",
    "t0"."debt_to_income",
    "t0"."credit_utilization",
    "t0"."loan_amount",
    "t0"."loan_term_months",
    "t0"."num_credit_lines",
    "t0"."employment_years",
    "t0"."region",
    "t0"."employment",
    "t0"."purpose",
    "t0"."channel",
    "t0"."home_ownership"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
)
SELECT
  *
FROM (
  SELECT
    "t1"."_k0",
    "t1"."prediction",
    "t1"."label",
    COUNT(*) AS "n"
  FROM (
    SELECT
      "t0"."prediction_id",
      "t0"."timestamp",
      "t0"."model_version",
      "t0"."prediction",
      "t0"."score",
      "t0"."latency_ms",
      "t0"."trace_id",
      "t0"."error",
      "t0"."metadata",
      "t0"."label",
      "t0"."label_timestamp",
      "t0"."cpu_ms",
      "t0"."wall_ms",
      "t0"."rss_peak_mb",
      "t0"."rss_peak_delta_mb",
      "t0"."gpu_memory_mb",
      "t0"."gpu_utilization",
      "t0"."batch_rows",
      "t0"."input_values",
      "t0"."age",
      "t0"."income",
      "t0"."debt_to_income",
      "t0"."credit_utilization",
      "t0"."loan_amount",
      "t0"."loan_term_months",
      "t0"."num_credit_lines",
      "t0"."employment_years",
      "t0"."region",
      "t0"."employment",
      "t0"."purpose",
      "t0"."channel",
      "t0"."home_ownership",
      "t0"."region" AS "_k0"
    FROM "_diaglab_rows" AS "t0"
  ) AS "t1"
  GROUP BY
    1,
    2,
    3
) AS "_q"
