-- [1/8]
SELECT
  "t4"."w",
  COUNT(*) AS "n",
  COUNT("t4"."v") AS "n_lab",
  MIN("t4"."t") AS "t0",
  MAX("t4"."t") AS "t1"
FROM (
  SELECT
    "t3"."prediction_id",
    "t3"."timestamp",
    "t3"."model_version",
    "t3"."prediction",
    "t3"."score",
    "t3"."latency_ms",
    "t3"."trace_id",
    "t3"."error",
    "t3"."metadata",
    "t3"."label",
    "t3"."label_timestamp",
    "t3"."cpu_ms",
    "t3"."wall_ms",
    "t3"."rss_peak_mb",
    "t3"."rss_peak_delta_mb",
    "t3"."gpu_memory_mb",
    "t3"."gpu_utilization",
    "t3"."batch_rows",
    "t3"."input_values",
    "t3"."age",
    "t3"."income",
    "t3"."debt_to_income",
    "t3"."credit_utilization",
    "t3"."loan_amount",
    "t3"."loan_term_months",
    "t3"."num_credit_lines",
    "t3"."employment_years",
    "t3"."region",
    "t3"."employment",
    "t3"."purpose",
    "t3"."channel",
    "t3"."home_ownership",
    "t3"."w",
    CAST("t3"."prediction" <> "t3"."label" AS DOUBLE) AS "v",
    CAST(EPOCH(CAST("t3"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
  FROM (
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        0 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        1 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    ) AS "t2"
  ) AS "t3"
  WHERE
    NOT "t3"."prediction" IS NULL
) AS "t4"
GROUP BY
  1

-- [2/8]
SELECT
  QUANTILE_CONT("t0"."age", [0.2, 0.4, 0.6, 0.8]) AS "q0",
  QUANTILE_CONT("t0"."income", [0.2, 0.4, 0.6, 0.8]) AS "q1",
  QUANTILE_CONT("t0"."debt_to_income", [0.2, 0.4, 0.6, 0.8]) AS "q2",
  QUANTILE_CONT("t0"."credit_utilization", [0.2, 0.4, 0.6, 0.8]) AS "q3",
  QUANTILE_CONT("t0"."loan_amount", [0.2, 0.4, 0.6, 0.8]) AS "q4",
  QUANTILE_CONT("t0"."loan_term_months", [0.2, 0.4, 0.6, 0.8]) AS "q5",
  QUANTILE_CONT("t0"."num_credit_lines", [0.2, 0.4, 0.6, 0.8]) AS "q6",
  QUANTILE_CONT("t0"."employment_years", [0.2, 0.4, 0.6, 0.8]) AS "q7",
  COUNT(*) AS "n"
FROM "reference"."credit" AS "t0"

-- [3/8]
SELECT
  BOOL_OR(CAST("t3"."age" IS NULL AS BOOLEAN)) AS "m0",
  BOOL_OR(CAST("t3"."income" IS NULL AS BOOLEAN)) AS "m1",
  BOOL_OR(CAST("t3"."debt_to_income" IS NULL AS BOOLEAN)) AS "m2",
  BOOL_OR(CAST("t3"."credit_utilization" IS NULL AS BOOLEAN)) AS "m3",
  BOOL_OR(CAST("t3"."loan_amount" IS NULL AS BOOLEAN)) AS "m4",
  BOOL_OR(CAST("t3"."loan_term_months" IS NULL AS BOOLEAN)) AS "m5",
  BOOL_OR(CAST("t3"."num_credit_lines" IS NULL AS BOOLEAN)) AS "m6",
  BOOL_OR(CAST("t3"."employment_years" IS NULL AS BOOLEAN)) AS "m7",
  BOOL_OR(CAST(NOT "t3"."age" IS NULL AS BOOLEAN)) AS "v0",
  BOOL_OR(CAST(NOT "t3"."income" IS NULL AS BOOLEAN)) AS "v1",
  BOOL_OR(CAST(NOT "t3"."debt_to_income" IS NULL AS BOOLEAN)) AS "v2",
  BOOL_OR(CAST(NOT "t3"."credit_utilization" IS NULL AS BOOLEAN)) AS "v3",
  BOOL_OR(CAST(NOT "t3"."loan_amount" IS NULL AS BOOLEAN)) AS "v4",
  BOOL_OR(CAST(NOT "t3"."loan_term_months" IS NULL AS BOOLEAN)) AS "v5",
  BOOL_OR(CAST(NOT "t3"."num_credit_lines" IS NULL AS BOOLEAN)) AS "v6",
  BOOL_OR(CAST(NOT "t3"."employment_years" IS NULL AS BOOLEAN)) AS "v7"
FROM (
  SELECT
    *
  FROM (
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
      "t0"."home_ownership",
      0 AS "w"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
  ) AS "t1"
  UNION ALL
  SELECT
    *
  FROM (
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
      "t0"."home_ownership",
      1 AS "w"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
  ) AS "t2"
) AS "t3"

-- [4/8]
WITH "_diaglab_rows" AS (
  SELECT
    "t3"."region",
    "t3"."employment",
    "t3"."purpose",
    "t3"."channel",
    "t3"."home_ownership"
  FROM (
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        0 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        1 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    ) AS "t2"
  ) AS "t3"
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t1"."v",
        "t1"."n",
        2 AS "i"
      FROM (
        SELECT
          "t0"."purpose" AS "v",
          COUNT(*) AS "n"
        FROM "_diaglab_rows" AS "t0"
        GROUP BY
          1
      ) AS "t1"
    ) AS "t6"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t2"."v",
        "t2"."n",
        3 AS "i"
      FROM (
        SELECT
          "t0"."channel" AS "v",
          COUNT(*) AS "n"
        FROM "_diaglab_rows" AS "t0"
        GROUP BY
          1
      ) AS "t2"
    ) AS "t7"
  ) AS "t11"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t3"."v",
        "t3"."n",
        4 AS "i"
      FROM (
        SELECT
          "t0"."home_ownership" AS "v",
          COUNT(*) AS "n"
        FROM "_diaglab_rows" AS "t0"
        GROUP BY
          1
      ) AS "t3"
    ) AS "t8"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t4"."v",
          "t4"."n",
          0 AS "i"
        FROM (
          SELECT
            "t0"."region" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t4"
      ) AS "t9"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t5"."v",
          "t5"."n",
          1 AS "i"
        FROM (
          SELECT
            "t0"."employment" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t5"
      ) AS "t10"
    ) AS "t12"
  ) AS "t13"
) AS "_q"

-- [5/8]
SELECT
  *
FROM (
  SELECT
    "t3"."age",
    "t3"."income",
    "t3"."debt_to_income",
    "t3"."credit_utilization",
    "t3"."loan_amount",
    "t3"."loan_term_months",
    "t3"."num_credit_lines",
    "t3"."employment_years",
    "t3"."region",
    "t3"."employment",
    "t3"."purpose",
    "t3"."channel",
    "t3"."home_ownership",
    CAST("t3"."prediction" <> "t3"."label" AS DOUBLE) AS "v"
  FROM (
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        0 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        1 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    ) AS "t2"
  ) AS "t3"
  WHERE
    NOT "t3"."prediction" IS NULL AND "t3"."w" = 0
) AS "t4" TABLESAMPLE BERNOULLI (4.662439388287952 PERCENT) REPEATABLE (0)

-- [6/8]
SELECT
  *
FROM (
  SELECT
    "t3"."age",
    "t3"."income",
    "t3"."debt_to_income",
    "t3"."credit_utilization",
    "t3"."loan_amount",
    "t3"."loan_term_months",
    "t3"."num_credit_lines",
    "t3"."employment_years",
    "t3"."region",
    "t3"."employment",
    "t3"."purpose",
    "t3"."channel",
    "t3"."home_ownership",
    CAST("t3"."prediction" <> "t3"."label" AS DOUBLE) AS "v"
  FROM (
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        0 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        1 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    ) AS "t2"
  ) AS "t3"
  WHERE
    NOT "t3"."prediction" IS NULL AND "t3"."w" = 1
) AS "t4" TABLESAMPLE BERNOULLI (0.72514212785706 PERCENT) REPEATABLE (1)

-- [7/8]
SELECT
  "t5"."w",
  "t5"."blk",
  "t5"."key",
  COUNT(*) AS "n",
  COUNT("t5"."v") AS "n_lab",
  SUM("t5"."v") AS "s"
FROM (
  SELECT
    "t4"."w",
    CAST(LEAST(
      CAST(FLOOR(
        (
          (
            "t4"."t" - CASE WHEN "t4"."w" = 1 THEN 1770681621.733849 ELSE 1767571264.334407 END
          ) * 20
        ) / (
          CASE WHEN "t4"."w" = 1 THEN 1727954.7723710537 ELSE 259086.02811598778 END + 1
        )
      ) AS BIGINT),
      19
    ) AS SMALLINT) AS "blk",
    "t4"."v",
    UNNEST(
      CAST([
        0 + (
          (
            CAST(CASE
              WHEN "t4"."age" IS NULL
              THEN -1
              ELSE CAST("t4"."age" >= 32.0 AS SMALLINT) + 0 + CAST("t4"."age" >= 40.0 AS SMALLINT) + CAST("t4"."age" >= 46.0 AS SMALLINT) + CAST("t4"."age" >= 55.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 1
        ) + (
          (
            CAST(CASE
              WHEN "t4"."income" IS NULL
              THEN -1
              ELSE CAST("t4"."income" >= 31000.0 AS SMALLINT) + 0 + CAST("t4"."income" >= 43000.0 AS SMALLINT) + CAST("t4"."income" >= 56000.0 AS SMALLINT) + CAST("t4"."income" >= 76000.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 6
        ) + (
          (
            CAST(CASE
              WHEN "t4"."debt_to_income" IS NULL
              THEN -1
              ELSE CAST("t4"."debt_to_income" >= 0.16 AS SMALLINT) + 0 + CAST("t4"."debt_to_income" >= 0.24 AS SMALLINT) + CAST("t4"."debt_to_income" >= 0.32 AS SMALLINT) + CAST("t4"."debt_to_income" >= 0.42 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 36
        ),
        216 + (
          (
            CAST(CASE
              WHEN "t4"."credit_utilization" IS NULL
              THEN -1
              ELSE CAST("t4"."credit_utilization" >= 0.2 AS SMALLINT) + 0 + CAST("t4"."credit_utilization" >= 0.32 AS SMALLINT) + CAST("t4"."credit_utilization" >= 0.43 AS SMALLINT) + CAST("t4"."credit_utilization" >= 0.56 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 1
        ) + (
          (
            CAST(CASE
              WHEN "t4"."loan_amount" IS NULL
              THEN -1
              ELSE CAST("t4"."loan_amount" >= 6800.0 AS SMALLINT) + 0 + CAST("t4"."loan_amount" >= 10000.0 AS SMALLINT) + CAST("t4"."loan_amount" >= 14000.0 AS SMALLINT) + CAST("t4"."loan_amount" >= 22000.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 6
        ) + (
          (
            CAST(CASE
              WHEN "t4"."loan_term_months" IS NULL
              THEN -1
              ELSE CAST("t4"."loan_term_months" >= 24.0 AS SMALLINT) + 0 + CAST("t4"."loan_term_months" >= 36.0 AS SMALLINT) + CAST("t4"."loan_term_months" >= 60.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 36
        ),
        396 + (
          (
            CAST(CASE
              WHEN "t4"."num_credit_lines" IS NULL
              THEN -1
              ELSE CAST("t4"."num_credit_lines" >= 5.0 AS SMALLINT) + 0 + CAST("t4"."num_credit_lines" >= 6.0 AS SMALLINT) + CAST("t4"."num_credit_lines" >= 7.0 AS SMALLINT) + CAST("t4"."num_credit_lines" >= 9.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 1
        ) + (
          (
            CAST(CASE
              WHEN "t4"."employment_years" IS NULL
              THEN -1
              ELSE CAST("t4"."employment_years" >= 2.3 AS SMALLINT) + 0 + CAST("t4"."employment_years" >= 5.0 AS SMALLINT) + CAST("t4"."employment_years" >= 8.0 AS SMALLINT) + CAST("t4"."employment_years" >= 13.0 AS SMALLINT)
            END AS SMALLINT) - -1
          ) * 6
        ) + (
          (
            CAST(CASE
              WHEN "t4"."region" IS NULL
              THEN -1
              WHEN "t4"."region" = 'north'
              THEN 0
              WHEN "t4"."region" = 'south'
              THEN 1
              WHEN "t4"."region" = 'east'
              THEN 2
              WHEN "t4"."region" = 'west'
              THEN 3
              WHEN "t4"."region" = 'central'
              THEN 4
              ELSE 5
            END AS SMALLINT) - -1
          ) * 36
        ),
        648 + (
          (
            CAST(CASE
              WHEN "t4"."employment" IS NULL
              THEN -1
              WHEN "t4"."employment" = 'employed'
              THEN 0
              WHEN "t4"."employment" = 'self_employed'
              THEN 1
              WHEN "t4"."employment" = 'retired'
              THEN 2
              WHEN "t4"."employment" = 'unemployed'
              THEN 3
              WHEN "t4"."employment" = 'student'
              THEN 4
              ELSE 5
            END AS SMALLINT) - -1
          ) * 1
        ) + (
          (
            CAST(CASE
              WHEN "t4"."purpose" IS NULL
              THEN -1
              WHEN "t4"."purpose" = 'debt_consolidation'
              THEN 0
              WHEN "t4"."purpose" = 'other'
              THEN 1
              WHEN "t4"."purpose" = 'car'
              THEN 2
              WHEN "t4"."purpose" = 'home_improvement'
              THEN 3
              WHEN "t4"."purpose" = 'small_business'
              THEN 4
              WHEN "t4"."purpose" = 'education'
              THEN 5
              WHEN "t4"."purpose" = 'medical'
              THEN 6
              ELSE 7
            END AS SMALLINT) - -1
          ) * 7
        ) + (
          (
            CAST(CASE
              WHEN "t4"."channel" IS NULL
              THEN -1
              WHEN "t4"."channel" = 'web'
              THEN 0
              WHEN "t4"."channel" = 'mobile'
              THEN 1
              WHEN "t4"."channel" = 'branch'
              THEN 2
              WHEN "t4"."channel" = 'broker'
              THEN 3
              WHEN "t4"."channel" = 'partner_api'
              THEN 4
              ELSE 5
            END AS SMALLINT) - -1
          ) * 63
        ),
        1089 + (
          (
            CAST(CASE
              WHEN "t4"."home_ownership" IS NULL
              THEN -1
              WHEN "t4"."home_ownership" = 'mortgage'
              THEN 0
              WHEN "t4"."home_ownership" = 'rent'
              THEN 1
              WHEN "t4"."home_ownership" = 'own'
              THEN 2
              WHEN "t4"."home_ownership" = 'other'
              THEN 3
              ELSE 4
            END AS SMALLINT) - -1
          ) * 1
        )
      ] AS BIGINT[])
    ) AS "key"
  FROM (
    SELECT
      "t3"."prediction_id",
      "t3"."timestamp",
      "t3"."model_version",
      "t3"."prediction",
      "t3"."score",
      "t3"."latency_ms",
      "t3"."trace_id",
      "t3"."error",
      "t3"."metadata",
      "t3"."label",
      "t3"."label_timestamp",
      "t3"."cpu_ms",
      "t3"."wall_ms",
      "t3"."rss_peak_mb",
      "t3"."rss_peak_delta_mb",
      "t3"."gpu_memory_mb",
      "t3"."gpu_utilization",
      "t3"."batch_rows",
      "t3"."input_values",
      "t3"."age",
      "t3"."income",
      "t3"."debt_to_income",
      "t3"."credit_utilization",
      "t3"."loan_amount",
      "t3"."loan_term_months",
      "t3"."num_credit_lines",
      "t3"."employment_years",
      "t3"."region",
      "t3"."employment",
      "t3"."purpose",
      "t3"."channel",
      "t3"."home_ownership",
      "t3"."w",
      CAST("t3"."prediction" <> "t3"."label" AS DOUBLE) AS "v",
      CAST(EPOCH(CAST("t3"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
    FROM (
      SELECT
        *
      FROM (
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
          "t0"."home_ownership",
          0 AS "w"
        FROM "main"."credit" AS "t0"
        WHERE
          "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
          AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
      ) AS "t1"
      UNION ALL
      SELECT
        *
      FROM (
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
          "t0"."home_ownership",
          1 AS "w"
        FROM "main"."credit" AS "t0"
        WHERE
          "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
          AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
      ) AS "t2"
    ) AS "t3"
    WHERE
      NOT "t3"."prediction" IS NULL
  ) AS "t4"
) AS "t5"
GROUP BY
  1,
  2,
  3

-- [8/8]
SELECT
  "t4"."w",
  "t4"."b",
  COUNT(*) AS "n",
  SUM(CAST("t4"."prediction" = 1 AS BIGINT)) AS "pp",
  SUM(CAST((
    NOT "t4"."label" IS NULL
  ) AND (
    "t4"."label" = 1
  ) AS BIGINT)) AS "pos",
  SUM(CAST((
    NOT "t4"."label" IS NULL
  ) AND (
    "t4"."label" = 0
  ) AS BIGINT)) AS "neg"
FROM (
  SELECT
    "t3"."prediction_id",
    "t3"."timestamp",
    "t3"."model_version",
    "t3"."prediction",
    "t3"."score",
    "t3"."latency_ms",
    "t3"."trace_id",
    "t3"."error",
    "t3"."metadata",
    "t3"."label",
    "t3"."label_timestamp",
    "t3"."cpu_ms",
    "t3"."wall_ms",
    "t3"."rss_peak_mb",
    "t3"."rss_peak_delta_mb",
    "t3"."gpu_memory_mb",
    "t3"."gpu_utilization",
    "t3"."batch_rows",
    "t3"."input_values",
    "t3"."age",
    "t3"."income",
    "t3"."debt_to_income",
    "t3"."credit_utilization",
    "t3"."loan_amount",
    "t3"."loan_term_months",
    "t3"."num_credit_lines",
    "t3"."employment_years",
    "t3"."region",
    "t3"."employment",
    "t3"."purpose",
    "t3"."channel",
    "t3"."home_ownership",
    "t3"."w",
    CAST("t3"."prediction" <> "t3"."label" AS DOUBLE) AS "v",
    CAST(EPOCH(CAST("t3"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t",
    CAST(CASE
      WHEN "t3"."score" >= 1
      THEN 99
      ELSE CAST(FLOOR("t3"."score" * 100) AS BIGINT)
    END AS SMALLINT) AS "b"
  FROM (
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        0 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
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
        "t0"."home_ownership",
        1 AS "w"
      FROM "main"."credit" AS "t0"
      WHERE
        "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
        AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    ) AS "t2"
  ) AS "t3"
  WHERE
    NOT "t3"."prediction" IS NULL AND NOT "t3"."score" IS NULL
) AS "t4"
GROUP BY
  1,
  2
