-- [1/6]
SELECT
  COUNT(*) AS "n",
  SUM("t1"."l") AS "s1",
  SUM("t1"."l" * "t1"."l") AS "s2",
  MAX("t1"."l") AS "emax"
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
    CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END <> "t0"."label" AS DOUBLE) AS "l"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    AND NOT CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END IS NULL
    AND NOT "t0"."label" IS NULL
    AND NOT CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END <> "t0"."label" AS DOUBLE) IS NULL
) AS "t1"

-- [2/6]
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

-- [3/6]
SELECT
  BOOL_OR(CAST("t1"."age" IS NULL AS BOOLEAN)) AS "m0",
  BOOL_OR(CAST("t1"."income" IS NULL AS BOOLEAN)) AS "m1",
  BOOL_OR(CAST("t1"."debt_to_income" IS NULL AS BOOLEAN)) AS "m2",
  BOOL_OR(CAST("t1"."credit_utilization" IS NULL AS BOOLEAN)) AS "m3",
  BOOL_OR(CAST("t1"."loan_amount" IS NULL AS BOOLEAN)) AS "m4",
  BOOL_OR(CAST("t1"."loan_term_months" IS NULL AS BOOLEAN)) AS "m5",
  BOOL_OR(CAST("t1"."num_credit_lines" IS NULL AS BOOLEAN)) AS "m6",
  BOOL_OR(CAST("t1"."employment_years" IS NULL AS BOOLEAN)) AS "m7",
  BOOL_OR(CAST(NOT "t1"."age" IS NULL AS BOOLEAN)) AS "v0",
  BOOL_OR(CAST(NOT "t1"."income" IS NULL AS BOOLEAN)) AS "v1",
  BOOL_OR(CAST(NOT "t1"."debt_to_income" IS NULL AS BOOLEAN)) AS "v2",
  BOOL_OR(CAST(NOT "t1"."credit_utilization" IS NULL AS BOOLEAN)) AS "v3",
  BOOL_OR(CAST(NOT "t1"."loan_amount" IS NULL AS BOOLEAN)) AS "v4",
  BOOL_OR(CAST(NOT "t1"."loan_term_months" IS NULL AS BOOLEAN)) AS "v5",
  BOOL_OR(CAST(NOT "t1"."num_credit_lines" IS NULL AS BOOLEAN)) AS "v6",
  BOOL_OR(CAST(NOT "t1"."employment_years" IS NULL AS BOOLEAN)) AS "v7"
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
    "t0"."home_ownership"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
) AS "t1"

-- [4/6]
WITH "_diaglab_rows" AS (
  SELECT
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

-- [5/6]
SELECT
  BOOL_OR(CAST("t0"."age" IS NULL AS BOOLEAN)) AS "m0",
  BOOL_OR(CAST("t0"."income" IS NULL AS BOOLEAN)) AS "m1",
  BOOL_OR(CAST("t0"."debt_to_income" IS NULL AS BOOLEAN)) AS "m2",
  BOOL_OR(CAST("t0"."credit_utilization" IS NULL AS BOOLEAN)) AS "m3",
  BOOL_OR(CAST("t0"."loan_amount" IS NULL AS BOOLEAN)) AS "m4",
  BOOL_OR(CAST("t0"."loan_term_months" IS NULL AS BOOLEAN)) AS "m5",
  BOOL_OR(CAST("t0"."num_credit_lines" IS NULL AS BOOLEAN)) AS "m6",
  BOOL_OR(CAST("t0"."employment_years" IS NULL AS BOOLEAN)) AS "m7",
  BOOL_OR(CAST(NOT "t0"."age" IS NULL AS BOOLEAN)) AS "v0",
  BOOL_OR(CAST(NOT "t0"."income" IS NULL AS BOOLEAN)) AS "v1",
  BOOL_OR(CAST(NOT "t0"."debt_to_income" IS NULL AS BOOLEAN)) AS "v2",
  BOOL_OR(CAST(NOT "t0"."credit_utilization" IS NULL AS BOOLEAN)) AS "v3",
  BOOL_OR(CAST(NOT "t0"."loan_amount" IS NULL AS BOOLEAN)) AS "v4",
  BOOL_OR(CAST(NOT "t0"."loan_term_months" IS NULL AS BOOLEAN)) AS "v5",
  BOOL_OR(CAST(NOT "t0"."num_credit_lines" IS NULL AS BOOLEAN)) AS "v6",
  BOOL_OR(CAST(NOT "t0"."employment_years" IS NULL AS BOOLEAN)) AS "v7"
FROM "reference"."credit" AS "t0"

-- [6/6]
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t7"."rows",
      4 AS "i"
    FROM (
      SELECT
        COUNT(*) AS "rows"
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
          "t0"."home_ownership"
        FROM "main"."credit" AS "t0"
        WHERE
          "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
          AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
          AND "t0"."employment_years" < 2.3
      ) AS "t1"
    ) AS "t7"
  ) AS "t13"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t8"."rows",
      -1 AS "i"
    FROM (
      SELECT
        COUNT(*) AS "rows"
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
          "t0"."home_ownership"
        FROM "main"."credit" AS "t0"
        WHERE
          "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
          AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
      ) AS "t2"
    ) AS "t8"
  ) AS "t14"
) AS "t19"
UNION ALL
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
        "t9"."rows",
        0 AS "i"
      FROM (
        SELECT
          COUNT(*) AS "rows"
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
            "t0"."home_ownership"
          FROM "main"."credit" AS "t0"
          WHERE
            "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
            AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
            AND "t0"."region" = 'north'
            AND "t0"."employment" = 'self_employed'
        ) AS "t3"
      ) AS "t9"
    ) AS "t15"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t10"."rows",
        1 AS "i"
      FROM (
        SELECT
          COUNT(*) AS "rows"
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
            "t0"."home_ownership"
          FROM "main"."credit" AS "t0"
          WHERE
            "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
            AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
            AND "t0"."income" < 31000.0
        ) AS "t4"
      ) AS "t10"
    ) AS "t16"
  ) AS "t20"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t11"."rows",
        2 AS "i"
      FROM (
        SELECT
          COUNT(*) AS "rows"
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
            "t0"."home_ownership"
          FROM "main"."credit" AS "t0"
          WHERE
            "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
            AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
            AND "t0"."region" = 'north'
        ) AS "t5"
      ) AS "t11"
    ) AS "t17"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t12"."rows",
        3 AS "i"
      FROM (
        SELECT
          COUNT(*) AS "rows"
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
            "t0"."home_ownership"
          FROM "main"."credit" AS "t0"
          WHERE
            "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
            AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
            AND "t0"."age" < 32.0
            AND "t0"."employment_years" < 2.3
        ) AS "t6"
      ) AS "t12"
    ) AS "t18"
  ) AS "t21"
) AS "t22"
