-- [1/11]
SELECT DISTINCT
  "t0"."model_version"
FROM "reference"."credit" AS "t0"

-- [2/11]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."age",
    "t0"."income",
    "t0"."debt_to_income",
    "t0"."credit_utilization",
    "t0"."loan_amount",
    "t0"."loan_term_months",
    "t0"."num_credit_lines",
    "t0"."employment_years",
    "t0"."score" AS "prediction",
    "t0"."label"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v2'
)
SELECT
  *
FROM (
  SELECT
    MIN("t0"."age") AS "min0",
    MAX("t0"."age") AS "max0",
    STDDEV_POP("t0"."age") AS "std0",
    AVG("t0"."age") AS "mean0",
    BOOL_AND(CAST(CAST(FLOOR("t0"."age") AS BIGINT) = "t0"."age" AS BOOLEAN)) AS "int0",
    MIN("t0"."income") AS "min1",
    MAX("t0"."income") AS "max1",
    STDDEV_POP("t0"."income") AS "std1",
    AVG("t0"."income") AS "mean1",
    BOOL_AND(CAST(CAST(FLOOR("t0"."income") AS BIGINT) = "t0"."income" AS BOOLEAN)) AS "int1",
    MIN("t0"."debt_to_income") AS "min2",
    MAX("t0"."debt_to_income") AS "max2",
    STDDEV_POP("t0"."debt_to_income") AS "std2",
    AVG("t0"."debt_to_income") AS "mean2",
    BOOL_AND(
      CAST(CAST(FLOOR("t0"."debt_to_income") AS BIGINT) = "t0"."debt_to_income" AS BOOLEAN)
    ) AS "int2",
    MIN("t0"."credit_utilization") AS "min3",
    MAX("t0"."credit_utilization") AS "max3",
    STDDEV_POP("t0"."credit_utilization") AS "std3",
    AVG("t0"."credit_utilization") AS "mean3",
    BOOL_AND(
      CAST(CAST(FLOOR("t0"."credit_utilization") AS BIGINT) = "t0"."credit_utilization" AS BOOLEAN)
    ) AS "int3",
    MIN("t0"."loan_amount") AS "min4",
    MAX("t0"."loan_amount") AS "max4",
    STDDEV_POP("t0"."loan_amount") AS "std4",
    AVG("t0"."loan_amount") AS "mean4",
    BOOL_AND(CAST(CAST(FLOOR("t0"."loan_amount") AS BIGINT) = "t0"."loan_amount" AS BOOLEAN)) AS "int4",
    MIN("t0"."loan_term_months") AS "min5",
    MAX("t0"."loan_term_months") AS "max5",
    STDDEV_POP("t0"."loan_term_months") AS "std5",
    AVG("t0"."loan_term_months") AS "mean5",
    BOOL_AND(
      CAST(CAST(FLOOR("t0"."loan_term_months") AS BIGINT) = "t0"."loan_term_months" AS BOOLEAN)
    ) AS "int5",
    MIN("t0"."num_credit_lines") AS "min6",
    MAX("t0"."num_credit_lines") AS "max6",
    STDDEV_POP("t0"."num_credit_lines") AS "std6",
    AVG("t0"."num_credit_lines") AS "mean6",
    BOOL_AND(
      CAST(CAST(FLOOR("t0"."num_credit_lines") AS BIGINT) = "t0"."num_credit_lines" AS BOOLEAN)
    ) AS "int6",
    MIN("t0"."employment_years") AS "min7",
    MAX("t0"."employment_years") AS "max7",
    STDDEV_POP("t0"."employment_years") AS "std7",
    AVG("t0"."employment_years") AS "mean7",
    BOOL_AND(
      CAST(CAST(FLOOR("t0"."employment_years") AS BIGINT) = "t0"."employment_years" AS BOOLEAN)
    ) AS "int7",
    MIN("t0"."prediction") AS "min8",
    MAX("t0"."prediction") AS "max8",
    STDDEV_POP("t0"."prediction") AS "std8",
    AVG("t0"."prediction") AS "mean8",
    BOOL_AND(CAST(CAST(FLOOR("t0"."prediction") AS BIGINT) = "t0"."prediction" AS BOOLEAN)) AS "int8",
    MIN("t0"."label") AS "min9",
    MAX("t0"."label") AS "max9",
    STDDEV_POP("t0"."label") AS "std9",
    AVG("t0"."label") AS "mean9",
    BOOL_AND(CAST(CAST(FLOOR("t0"."label") AS BIGINT) = "t0"."label" AS BOOLEAN)) AS "int9"
  FROM "_diaglab_rows" AS "t0"
) AS "_q"

-- [3/11]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."age",
    "t0"."income",
    "t0"."debt_to_income",
    "t0"."credit_utilization",
    "t0"."loan_amount",
    "t0"."loan_term_months",
    "t0"."num_credit_lines",
    "t0"."employment_years",
    "t0"."score" AS "prediction",
    "t0"."label"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v2'
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
        *
      FROM (
        SELECT
          "t1"."i",
          "t1"."b",
          COUNT(*) AS "n",
          MIN("t1"."x") AS "lo",
          MAX("t1"."x") AS "hi"
        FROM (
          SELECT
            4 AS "i",
            CASE
              WHEN "t0"."loan_amount" < 1000.0
              THEN -1099511627776
              WHEN "t0"."loan_amount" > 100000.0
              THEN 1099511627776
              WHEN (
                (
                  "t0"."loan_amount" - 1000.0
                ) / 100.0
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."loan_amount" - 1000.0
                ) / 100.0
              ) >= 991
              THEN 991
              ELSE CAST(FLOOR((
                "t0"."loan_amount" - 1000.0
              ) / 100.0) AS BIGINT)
            END AS "b",
            "t0"."loan_amount" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t1"
        GROUP BY
          1,
          2
      ) AS "t11"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t2"."i",
          "t2"."b",
          COUNT(*) AS "n",
          MIN("t2"."x") AS "lo",
          MAX("t2"."x") AS "hi"
        FROM (
          SELECT
            5 AS "i",
            CASE
              WHEN "t0"."loan_term_months" < 12.0
              THEN -1099511627776
              WHEN "t0"."loan_term_months" > 60.0
              THEN 1099511627776
              WHEN (
                (
                  "t0"."loan_term_months" - 12.0
                ) / 1.0
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."loan_term_months" - 12.0
                ) / 1.0
              ) >= 49
              THEN 49
              ELSE CAST(FLOOR((
                "t0"."loan_term_months" - 12.0
              ) / 1.0) AS BIGINT)
            END AS "b",
            "t0"."loan_term_months" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t2"
        GROUP BY
          1,
          2
      ) AS "t12"
    ) AS "t21"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t3"."i",
          "t3"."b",
          COUNT(*) AS "n",
          MIN("t3"."x") AS "lo",
          MAX("t3"."x") AS "hi"
        FROM (
          SELECT
            6 AS "i",
            CASE
              WHEN "t0"."num_credit_lines" < 1.0
              THEN -1099511627776
              WHEN "t0"."num_credit_lines" > 21.0
              THEN 1099511627776
              WHEN (
                (
                  "t0"."num_credit_lines" - 1.0
                ) / 1.0
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."num_credit_lines" - 1.0
                ) / 1.0
              ) >= 21
              THEN 21
              ELSE CAST(FLOOR((
                "t0"."num_credit_lines" - 1.0
              ) / 1.0) AS BIGINT)
            END AS "b",
            "t0"."num_credit_lines" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t3"
        GROUP BY
          1,
          2
      ) AS "t13"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t4"."i",
          "t4"."b",
          COUNT(*) AS "n",
          MIN("t4"."x") AS "lo",
          MAX("t4"."x") AS "hi"
        FROM (
          SELECT
            7 AS "i",
            CASE
              WHEN "t0"."employment_years" < 0.0
              THEN -1099511627776
              WHEN "t0"."employment_years" > 61.8
              THEN 1099511627776
              WHEN (
                (
                  "t0"."employment_years" - 0.0
                ) / 0.06089235117975622
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."employment_years" - 0.0
                ) / 0.06089235117975622
              ) >= 1000
              THEN 1000
              ELSE CAST(FLOOR((
                "t0"."employment_years" - 0.0
              ) / 0.06089235117975622) AS BIGINT)
            END AS "b",
            "t0"."employment_years" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t4"
        GROUP BY
          1,
          2
      ) AS "t14"
    ) AS "t22"
  ) AS "t26"
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
          "t5"."i",
          "t5"."b",
          COUNT(*) AS "n",
          MIN("t5"."x") AS "lo",
          MAX("t5"."x") AS "hi"
        FROM (
          SELECT
            8 AS "i",
            CASE
              WHEN "t0"."prediction" < 0.004407032955538922
              THEN -1099511627776
              WHEN "t0"."prediction" > 0.9809641117101271
              THEN 1099511627776
              WHEN (
                (
                  "t0"."prediction" - 0.004407032955538922
                ) / 0.0009765570787545882
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."prediction" - 0.004407032955538922
                ) / 0.0009765570787545882
              ) >= 1000
              THEN 1000
              ELSE CAST(FLOOR((
                "t0"."prediction" - 0.004407032955538922
              ) / 0.0009765570787545882) AS BIGINT)
            END AS "b",
            "t0"."prediction" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t5"
        GROUP BY
          1,
          2
      ) AS "t15"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t6"."i",
          "t6"."b",
          COUNT(*) AS "n",
          MIN("t6"."x") AS "lo",
          MAX("t6"."x") AS "hi"
        FROM (
          SELECT
            9 AS "i",
            CASE
              WHEN "t0"."label" < 0.0
              THEN -1099511627776
              WHEN "t0"."label" > 1.0
              THEN 1099511627776
              WHEN (
                (
                  "t0"."label" - 0.0
                ) / 1.0
              ) < 0
              THEN -1
              WHEN (
                (
                  "t0"."label" - 0.0
                ) / 1.0
              ) >= 2
              THEN 2
              ELSE CAST(FLOOR((
                "t0"."label" - 0.0
              ) / 1.0) AS BIGINT)
            END AS "b",
            "t0"."label" AS "x"
          FROM "_diaglab_rows" AS "t0"
        ) AS "t6"
        GROUP BY
          1,
          2
      ) AS "t16"
    ) AS "t23"
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
            "t7"."i",
            "t7"."b",
            COUNT(*) AS "n",
            MIN("t7"."x") AS "lo",
            MAX("t7"."x") AS "hi"
          FROM (
            SELECT
              0 AS "i",
              CASE
                WHEN "t0"."age" < 18.0
                THEN -1099511627776
                WHEN "t0"."age" > 89.0
                THEN 1099511627776
                WHEN (
                  (
                    "t0"."age" - 18.0
                  ) / 1.0
                ) < 0
                THEN -1
                WHEN (
                  (
                    "t0"."age" - 18.0
                  ) / 1.0
                ) >= 72
                THEN 72
                ELSE CAST(FLOOR((
                  "t0"."age" - 18.0
                ) / 1.0) AS BIGINT)
              END AS "b",
              "t0"."age" AS "x"
            FROM "_diaglab_rows" AS "t0"
          ) AS "t7"
          GROUP BY
            1,
            2
        ) AS "t17"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            "t8"."i",
            "t8"."b",
            COUNT(*) AS "n",
            MIN("t8"."x") AS "lo",
            MAX("t8"."x") AS "hi"
          FROM (
            SELECT
              1 AS "i",
              CASE
                WHEN "t0"."income" < 5000.0
                THEN -1099511627776
                WHEN "t0"."income" > 524700.0
                THEN 1099511627776
                WHEN (
                  (
                    "t0"."income" - 5000.0
                  ) / 520.0
                ) < 0
                THEN -1
                WHEN (
                  (
                    "t0"."income" - 5000.0
                  ) / 520.0
                ) >= 1000
                THEN 1000
                ELSE CAST(FLOOR((
                  "t0"."income" - 5000.0
                ) / 520.0) AS BIGINT)
              END AS "b",
              "t0"."income" AS "x"
            FROM "_diaglab_rows" AS "t0"
          ) AS "t8"
          GROUP BY
            1,
            2
        ) AS "t18"
      ) AS "t24"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            "t9"."i",
            "t9"."b",
            COUNT(*) AS "n",
            MIN("t9"."x") AS "lo",
            MAX("t9"."x") AS "hi"
          FROM (
            SELECT
              2 AS "i",
              CASE
                WHEN "t0"."debt_to_income" < 0.002
                THEN -1099511627776
                WHEN "t0"."debt_to_income" > 0.907
                THEN 1099511627776
                WHEN (
                  (
                    "t0"."debt_to_income" - 0.002
                  ) / 0.000905
                ) < 0
                THEN -1
                WHEN (
                  (
                    "t0"."debt_to_income" - 0.002
                  ) / 0.000905
                ) >= 1000
                THEN 1000
                ELSE CAST(FLOOR((
                  "t0"."debt_to_income" - 0.002
                ) / 0.000905) AS BIGINT)
              END AS "b",
              "t0"."debt_to_income" AS "x"
            FROM "_diaglab_rows" AS "t0"
          ) AS "t9"
          GROUP BY
            1,
            2
        ) AS "t19"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            "t10"."i",
            "t10"."b",
            COUNT(*) AS "n",
            MIN("t10"."x") AS "lo",
            MAX("t10"."x") AS "hi"
          FROM (
            SELECT
              3 AS "i",
              CASE
                WHEN "t0"."credit_utilization" < 0.002
                THEN -1099511627776
                WHEN "t0"."credit_utilization" > 0.995
                THEN 1099511627776
                WHEN (
                  (
                    "t0"."credit_utilization" - 0.002
                  ) / 0.000993
                ) < 0
                THEN -1
                WHEN (
                  (
                    "t0"."credit_utilization" - 0.002
                  ) / 0.000993
                ) >= 1000
                THEN 1000
                ELSE CAST(FLOOR((
                  "t0"."credit_utilization" - 0.002
                ) / 0.000993) AS BIGINT)
              END AS "b",
              "t0"."credit_utilization" AS "x"
            FROM "_diaglab_rows" AS "t0"
          ) AS "t10"
          GROUP BY
            1,
            2
        ) AS "t20"
      ) AS "t25"
    ) AS "t27"
  ) AS "t28"
) AS "_q"

-- [4/11]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."region",
    "t0"."employment",
    "t0"."purpose",
    "t0"."channel",
    "t0"."home_ownership",
    CAST(CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END AS BIGINT) AS TEXT) AS "decision"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v2'
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
        4 AS "i"
      FROM (
        SELECT
          "t0"."home_ownership" AS "v",
          COUNT(*) AS "n"
        FROM "_diaglab_rows" AS "t0"
        GROUP BY
          1
      ) AS "t1"
    ) AS "t7"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t2"."v",
        "t2"."n",
        5 AS "i"
      FROM (
        SELECT
          "t0"."decision" AS "v",
          COUNT(*) AS "n"
        FROM "_diaglab_rows" AS "t0"
        GROUP BY
          1
      ) AS "t2"
    ) AS "t8"
  ) AS "t13"
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
          "t3"."v",
          "t3"."n",
          0 AS "i"
        FROM (
          SELECT
            "t0"."region" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t3"
      ) AS "t9"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t4"."v",
          "t4"."n",
          1 AS "i"
        FROM (
          SELECT
            "t0"."employment" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t4"
      ) AS "t10"
    ) AS "t14"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t5"."v",
          "t5"."n",
          2 AS "i"
        FROM (
          SELECT
            "t0"."purpose" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t5"
      ) AS "t11"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t6"."v",
          "t6"."n",
          3 AS "i"
        FROM (
          SELECT
            "t0"."channel" AS "v",
            COUNT(*) AS "n"
          FROM "_diaglab_rows" AS "t0"
          GROUP BY
            1
        ) AS "t6"
      ) AS "t12"
    ) AS "t15"
  ) AS "t16"
) AS "_q"

-- [5/11]
SELECT
  "t3"."w",
  COUNT(*) AS "n",
  COUNT("t3"."v") AS "n_lab",
  MIN("t3"."t") AS "t0",
  MAX("t3"."t") AS "t1"
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
      0 AS "w",
      CAST(CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END <> "t0"."label" AS DOUBLE) AS "v",
      CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
      AND NOT CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END IS NULL
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
      1 AS "w",
      CAST(CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END <> "t0"."label" AS DOUBLE) AS "v",
      CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
      AND NOT CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END IS NULL
  ) AS "t2"
) AS "t3"
GROUP BY
  1

-- [6/11]
SELECT
  *
FROM (
  SELECT
    "t1"."age",
    "t1"."income",
    "t1"."debt_to_income",
    "t1"."credit_utilization",
    "t1"."loan_amount",
    "t1"."loan_term_months",
    "t1"."num_credit_lines",
    "t1"."employment_years",
    "t1"."region",
    "t1"."employment",
    "t1"."purpose",
    "t1"."channel",
    "t1"."home_ownership",
    "t1"."v",
    CAST((
      (
        CAST(CAST(HASH(EPOCH_US("t1"."timestamp") + 0) AS BIT) AS BIGINT) % 1073741824
      ) + 1073741824
    ) % 1073741824 AS DOUBLE) / 1073741824 AS "u"
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
      0 AS "w",
      CAST(CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END <> "t0"."label" AS DOUBLE) AS "v",
      CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
      AND NOT CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END IS NULL
  ) AS "t1"
) AS "t2"
WHERE
  "t2"."u" < 0.04662439388287952

-- [7/11]
SELECT
  *
FROM (
  SELECT
    "t1"."age",
    "t1"."income",
    "t1"."debt_to_income",
    "t1"."credit_utilization",
    "t1"."loan_amount",
    "t1"."loan_term_months",
    "t1"."num_credit_lines",
    "t1"."employment_years",
    "t1"."region",
    "t1"."employment",
    "t1"."purpose",
    "t1"."channel",
    "t1"."home_ownership",
    "t1"."v",
    CAST((
      (
        CAST(CAST(HASH(EPOCH_US("t1"."timestamp") + 0) AS BIT) AS BIGINT) % 1073741824
      ) + 1073741824
    ) % 1073741824 AS DOUBLE) / 1073741824 AS "u"
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
      1 AS "w",
      CAST(CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END <> "t0"."label" AS DOUBLE) AS "v",
      CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
    FROM "main"."credit" AS "t0"
    WHERE
      "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
      AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
      AND NOT CASE
        WHEN "t0"."score" IS NULL
        THEN "t0"."prediction"
        ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
      END IS NULL
  ) AS "t1"
) AS "t2"
WHERE
  "t2"."u" < 0.0072514212785706

-- [8/11]
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
        "t8"."w",
        "t8"."tick",
        "t8"."i",
        "t8"."b",
        COUNT(*) AS "n",
        MIN("t8"."x") AS "lo",
        MAX("t8"."x") AS "hi",
        SUM("t8"."_cube_served") AS "m",
        COUNT("t8"."_cube_loss") AS "nl",
        SUM("t8"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          0 AS "i",
          CASE
            WHEN "t7"."age" < 18.0
            THEN -1099511627776
            WHEN "t7"."age" > 89.0
            THEN 1099511627776
            WHEN (
              (
                "t7"."age" - 18.0
              ) / 1.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."age" - 18.0
              ) / 1.0
            ) >= 72
            THEN 72
            ELSE CAST(FLOOR((
              "t7"."age" - 18.0
            ) / 1.0) AS BIGINT)
          END AS "b",
          "t7"."age" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t8"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t16"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t9"."w",
        "t9"."tick",
        "t9"."i",
        "t9"."b",
        COUNT(*) AS "n",
        MIN("t9"."x") AS "lo",
        MAX("t9"."x") AS "hi",
        SUM("t9"."_cube_served") AS "m",
        COUNT("t9"."_cube_loss") AS "nl",
        SUM("t9"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          1 AS "i",
          CASE
            WHEN "t7"."income" < 5000.0
            THEN -1099511627776
            WHEN "t7"."income" > 524700.0
            THEN 1099511627776
            WHEN (
              (
                "t7"."income" - 5000.0
              ) / 520.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."income" - 5000.0
              ) / 520.0
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t7"."income" - 5000.0
            ) / 520.0) AS BIGINT)
          END AS "b",
          "t7"."income" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t9"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t17"
  ) AS "t24"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t10"."w",
        "t10"."tick",
        "t10"."i",
        "t10"."b",
        COUNT(*) AS "n",
        MIN("t10"."x") AS "lo",
        MAX("t10"."x") AS "hi",
        SUM("t10"."_cube_served") AS "m",
        COUNT("t10"."_cube_loss") AS "nl",
        SUM("t10"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          2 AS "i",
          CASE
            WHEN "t7"."debt_to_income" < 0.002
            THEN -1099511627776
            WHEN "t7"."debt_to_income" > 0.907
            THEN 1099511627776
            WHEN (
              (
                "t7"."debt_to_income" - 0.002
              ) / 0.000905
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."debt_to_income" - 0.002
              ) / 0.000905
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t7"."debt_to_income" - 0.002
            ) / 0.000905) AS BIGINT)
          END AS "b",
          "t7"."debt_to_income" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t10"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t18"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t11"."w",
        "t11"."tick",
        "t11"."i",
        "t11"."b",
        COUNT(*) AS "n",
        MIN("t11"."x") AS "lo",
        MAX("t11"."x") AS "hi",
        SUM("t11"."_cube_served") AS "m",
        COUNT("t11"."_cube_loss") AS "nl",
        SUM("t11"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          3 AS "i",
          CASE
            WHEN "t7"."credit_utilization" < 0.002
            THEN -1099511627776
            WHEN "t7"."credit_utilization" > 0.995
            THEN 1099511627776
            WHEN (
              (
                "t7"."credit_utilization" - 0.002
              ) / 0.000993
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."credit_utilization" - 0.002
              ) / 0.000993
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t7"."credit_utilization" - 0.002
            ) / 0.000993) AS BIGINT)
          END AS "b",
          "t7"."credit_utilization" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t11"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t19"
  ) AS "t25"
) AS "t28"
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
        "t12"."w",
        "t12"."tick",
        "t12"."i",
        "t12"."b",
        COUNT(*) AS "n",
        MIN("t12"."x") AS "lo",
        MAX("t12"."x") AS "hi",
        SUM("t12"."_cube_served") AS "m",
        COUNT("t12"."_cube_loss") AS "nl",
        SUM("t12"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          4 AS "i",
          CASE
            WHEN "t7"."loan_amount" < 1000.0
            THEN -1099511627776
            WHEN "t7"."loan_amount" > 100000.0
            THEN 1099511627776
            WHEN (
              (
                "t7"."loan_amount" - 1000.0
              ) / 100.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."loan_amount" - 1000.0
              ) / 100.0
            ) >= 991
            THEN 991
            ELSE CAST(FLOOR((
              "t7"."loan_amount" - 1000.0
            ) / 100.0) AS BIGINT)
          END AS "b",
          "t7"."loan_amount" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t12"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t20"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t13"."w",
        "t13"."tick",
        "t13"."i",
        "t13"."b",
        COUNT(*) AS "n",
        MIN("t13"."x") AS "lo",
        MAX("t13"."x") AS "hi",
        SUM("t13"."_cube_served") AS "m",
        COUNT("t13"."_cube_loss") AS "nl",
        SUM("t13"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          5 AS "i",
          CASE
            WHEN "t7"."loan_term_months" < 12.0
            THEN -1099511627776
            WHEN "t7"."loan_term_months" > 60.0
            THEN 1099511627776
            WHEN (
              (
                "t7"."loan_term_months" - 12.0
              ) / 1.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."loan_term_months" - 12.0
              ) / 1.0
            ) >= 49
            THEN 49
            ELSE CAST(FLOOR((
              "t7"."loan_term_months" - 12.0
            ) / 1.0) AS BIGINT)
          END AS "b",
          "t7"."loan_term_months" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t13"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t21"
  ) AS "t26"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t14"."w",
        "t14"."tick",
        "t14"."i",
        "t14"."b",
        COUNT(*) AS "n",
        MIN("t14"."x") AS "lo",
        MAX("t14"."x") AS "hi",
        SUM("t14"."_cube_served") AS "m",
        COUNT("t14"."_cube_loss") AS "nl",
        SUM("t14"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          6 AS "i",
          CASE
            WHEN "t7"."num_credit_lines" < 1.0
            THEN -1099511627776
            WHEN "t7"."num_credit_lines" > 21.0
            THEN 1099511627776
            WHEN (
              (
                "t7"."num_credit_lines" - 1.0
              ) / 1.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."num_credit_lines" - 1.0
              ) / 1.0
            ) >= 21
            THEN 21
            ELSE CAST(FLOOR((
              "t7"."num_credit_lines" - 1.0
            ) / 1.0) AS BIGINT)
          END AS "b",
          "t7"."num_credit_lines" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t14"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t22"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t15"."w",
        "t15"."tick",
        "t15"."i",
        "t15"."b",
        COUNT(*) AS "n",
        MIN("t15"."x") AS "lo",
        MAX("t15"."x") AS "hi",
        SUM("t15"."_cube_served") AS "m",
        COUNT("t15"."_cube_loss") AS "nl",
        SUM("t15"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          7 AS "i",
          CASE
            WHEN "t7"."employment_years" < 0.0
            THEN -1099511627776
            WHEN "t7"."employment_years" > 61.8
            THEN 1099511627776
            WHEN (
              (
                "t7"."employment_years" - 0.0
              ) / 0.06089235117975622
            ) < 0
            THEN -1
            WHEN (
              (
                "t7"."employment_years" - 0.0
              ) / 0.06089235117975622
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t7"."employment_years" - 0.0
            ) / 0.06089235117975622) AS BIGINT)
          END AS "b",
          "t7"."employment_years" AS "x",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."age",
            "t5"."income",
            "t5"."debt_to_income",
            "t5"."credit_utilization",
            "t5"."loan_amount",
            "t5"."loan_term_months",
            "t5"."num_credit_lines",
            "t5"."employment_years",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t15"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t23"
  ) AS "t27"
) AS "t29"

-- [9/11]
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t8"."w",
      "t8"."tick",
      "t8"."i",
      "t8"."v",
      COUNT(*) AS "n",
      SUM("t8"."_cube_served") AS "m",
      COUNT("t8"."_cube_loss") AS "nl",
      SUM("t8"."_cube_loss") AS "s"
    FROM (
      SELECT
        "t7"."w",
        "t7"."tick",
        2 AS "i",
        "t7"."purpose" AS "v",
        "t7"."_cube_loss",
        "t7"."_cube_served"
      FROM (
        SELECT
          "t5"."w",
          "t5"."tick",
          "t5"."region",
          "t5"."employment",
          "t5"."purpose",
          "t5"."channel",
          "t5"."home_ownership",
          "t5"."_cube_loss",
          "t5"."_cube_served"
        FROM (
          SELECT
            "t4"."age",
            "t4"."income",
            "t4"."debt_to_income",
            "t4"."credit_utilization",
            "t4"."loan_amount",
            "t4"."loan_term_months",
            "t4"."num_credit_lines",
            "t4"."employment_years",
            "t4"."region",
            "t4"."employment",
            "t4"."purpose",
            "t4"."channel",
            "t4"."home_ownership",
            "t4"."prediction",
            "t4"."label",
            "t4"."decision",
            "t4"."w",
            "t4"."timestamp",
            "t4"."_cube_loss",
            "t4"."_cube_served",
            CAST(FLOOR((
              EPOCH_US("t4"."timestamp")
            ) / (
              3600000000
            )) AS BIGINT) AS "tick"
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
              "t3"."score" AS "prediction",
              "t3"."label",
              CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
              "t3"."w",
              "t3"."timestamp",
              "t3"."v" AS "_cube_loss",
              1 AS "_cube_served"
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
                  0 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
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
                  1 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
              ) AS "t2"
            ) AS "t3"
          ) AS "t4"
        ) AS "t5"
      ) AS "t7"
    ) AS "t8"
    GROUP BY
      1,
      2,
      3,
      4
  ) AS "t13"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t9"."w",
      "t9"."tick",
      "t9"."i",
      "t9"."v",
      COUNT(*) AS "n",
      SUM("t9"."_cube_served") AS "m",
      COUNT("t9"."_cube_loss") AS "nl",
      SUM("t9"."_cube_loss") AS "s"
    FROM (
      SELECT
        "t7"."w",
        "t7"."tick",
        3 AS "i",
        "t7"."channel" AS "v",
        "t7"."_cube_loss",
        "t7"."_cube_served"
      FROM (
        SELECT
          "t5"."w",
          "t5"."tick",
          "t5"."region",
          "t5"."employment",
          "t5"."purpose",
          "t5"."channel",
          "t5"."home_ownership",
          "t5"."_cube_loss",
          "t5"."_cube_served"
        FROM (
          SELECT
            "t4"."age",
            "t4"."income",
            "t4"."debt_to_income",
            "t4"."credit_utilization",
            "t4"."loan_amount",
            "t4"."loan_term_months",
            "t4"."num_credit_lines",
            "t4"."employment_years",
            "t4"."region",
            "t4"."employment",
            "t4"."purpose",
            "t4"."channel",
            "t4"."home_ownership",
            "t4"."prediction",
            "t4"."label",
            "t4"."decision",
            "t4"."w",
            "t4"."timestamp",
            "t4"."_cube_loss",
            "t4"."_cube_served",
            CAST(FLOOR((
              EPOCH_US("t4"."timestamp")
            ) / (
              3600000000
            )) AS BIGINT) AS "tick"
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
              "t3"."score" AS "prediction",
              "t3"."label",
              CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
              "t3"."w",
              "t3"."timestamp",
              "t3"."v" AS "_cube_loss",
              1 AS "_cube_served"
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
                  0 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
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
                  1 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
              ) AS "t2"
            ) AS "t3"
          ) AS "t4"
        ) AS "t5"
      ) AS "t7"
    ) AS "t9"
    GROUP BY
      1,
      2,
      3,
      4
  ) AS "t14"
) AS "t18"
UNION ALL
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t10"."w",
      "t10"."tick",
      "t10"."i",
      "t10"."v",
      COUNT(*) AS "n",
      SUM("t10"."_cube_served") AS "m",
      COUNT("t10"."_cube_loss") AS "nl",
      SUM("t10"."_cube_loss") AS "s"
    FROM (
      SELECT
        "t7"."w",
        "t7"."tick",
        4 AS "i",
        "t7"."home_ownership" AS "v",
        "t7"."_cube_loss",
        "t7"."_cube_served"
      FROM (
        SELECT
          "t5"."w",
          "t5"."tick",
          "t5"."region",
          "t5"."employment",
          "t5"."purpose",
          "t5"."channel",
          "t5"."home_ownership",
          "t5"."_cube_loss",
          "t5"."_cube_served"
        FROM (
          SELECT
            "t4"."age",
            "t4"."income",
            "t4"."debt_to_income",
            "t4"."credit_utilization",
            "t4"."loan_amount",
            "t4"."loan_term_months",
            "t4"."num_credit_lines",
            "t4"."employment_years",
            "t4"."region",
            "t4"."employment",
            "t4"."purpose",
            "t4"."channel",
            "t4"."home_ownership",
            "t4"."prediction",
            "t4"."label",
            "t4"."decision",
            "t4"."w",
            "t4"."timestamp",
            "t4"."_cube_loss",
            "t4"."_cube_served",
            CAST(FLOOR((
              EPOCH_US("t4"."timestamp")
            ) / (
              3600000000
            )) AS BIGINT) AS "tick"
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
              "t3"."score" AS "prediction",
              "t3"."label",
              CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
              "t3"."w",
              "t3"."timestamp",
              "t3"."v" AS "_cube_loss",
              1 AS "_cube_served"
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
                  0 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
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
                  1 AS "w",
                  CAST(CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END <> "t0"."label" AS DOUBLE) AS "v",
                  CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                FROM "main"."credit" AS "t0"
                WHERE
                  "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                  AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                  AND NOT CASE
                    WHEN "t0"."score" IS NULL
                    THEN "t0"."prediction"
                    ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                  END IS NULL
              ) AS "t2"
            ) AS "t3"
          ) AS "t4"
        ) AS "t5"
      ) AS "t7"
    ) AS "t10"
    GROUP BY
      1,
      2,
      3,
      4
  ) AS "t15"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t11"."w",
        "t11"."tick",
        "t11"."i",
        "t11"."v",
        COUNT(*) AS "n",
        SUM("t11"."_cube_served") AS "m",
        COUNT("t11"."_cube_loss") AS "nl",
        SUM("t11"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          0 AS "i",
          "t7"."region" AS "v",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."region",
            "t5"."employment",
            "t5"."purpose",
            "t5"."channel",
            "t5"."home_ownership",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t11"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t16"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t12"."w",
        "t12"."tick",
        "t12"."i",
        "t12"."v",
        COUNT(*) AS "n",
        SUM("t12"."_cube_served") AS "m",
        COUNT("t12"."_cube_loss") AS "nl",
        SUM("t12"."_cube_loss") AS "s"
      FROM (
        SELECT
          "t7"."w",
          "t7"."tick",
          1 AS "i",
          "t7"."employment" AS "v",
          "t7"."_cube_loss",
          "t7"."_cube_served"
        FROM (
          SELECT
            "t5"."w",
            "t5"."tick",
            "t5"."region",
            "t5"."employment",
            "t5"."purpose",
            "t5"."channel",
            "t5"."home_ownership",
            "t5"."_cube_loss",
            "t5"."_cube_served"
          FROM (
            SELECT
              "t4"."age",
              "t4"."income",
              "t4"."debt_to_income",
              "t4"."credit_utilization",
              "t4"."loan_amount",
              "t4"."loan_term_months",
              "t4"."num_credit_lines",
              "t4"."employment_years",
              "t4"."region",
              "t4"."employment",
              "t4"."purpose",
              "t4"."channel",
              "t4"."home_ownership",
              "t4"."prediction",
              "t4"."label",
              "t4"."decision",
              "t4"."w",
              "t4"."timestamp",
              "t4"."_cube_loss",
              "t4"."_cube_served",
              CAST(FLOOR((
                EPOCH_US("t4"."timestamp")
              ) / (
                3600000000
              )) AS BIGINT) AS "tick"
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
                "t3"."score" AS "prediction",
                "t3"."label",
                CAST(CAST("t3"."prediction" AS BIGINT) AS TEXT) AS "decision",
                "t3"."w",
                "t3"."timestamp",
                "t3"."v" AS "_cube_loss",
                1 AS "_cube_served"
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
                    0 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
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
                    1 AS "w",
                    CAST(CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END <> "t0"."label" AS DOUBLE) AS "v",
                    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t"
                  FROM "main"."credit" AS "t0"
                  WHERE
                    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
                    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
                    AND NOT CASE
                      WHEN "t0"."score" IS NULL
                      THEN "t0"."prediction"
                      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
                    END IS NULL
                ) AS "t2"
              ) AS "t3"
            ) AS "t4"
          ) AS "t5"
        ) AS "t7"
      ) AS "t12"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t17"
  ) AS "t19"
) AS "t20"

-- [10/11]
SELECT
  "t1"."w",
  "t1"."b",
  COUNT(*) AS "n",
  SUM(CAST("t1"."prediction" = 1 AS BIGINT)) AS "pp",
  SUM(CAST((
    NOT "t1"."label" IS NULL
  ) AND (
    "t1"."label" = 1
  ) AS BIGINT)) AS "pos",
  SUM(CAST((
    NOT "t1"."label" IS NULL
  ) AND (
    "t1"."label" = 0
  ) AS BIGINT)) AS "neg"
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
    0 AS "w",
    CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END <> "t0"."label" AS DOUBLE) AS "v",
    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t",
    CAST(CASE
      WHEN "t0"."score" >= 1
      THEN 99
      ELSE CAST(FLOOR("t0"."score" * 100) AS BIGINT)
    END AS SMALLINT) AS "b"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 1, 5, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 1, 8, 0, 0, 0.0, 'UTC')
    AND NOT CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END IS NULL
    AND NOT "t0"."score" IS NULL
) AS "t1"
GROUP BY
  1,
  2

-- [11/11]
SELECT
  "t1"."w",
  "t1"."b",
  COUNT(*) AS "n",
  SUM(CAST("t1"."prediction" = 1 AS BIGINT)) AS "pp",
  SUM(CAST((
    NOT "t1"."label" IS NULL
  ) AND (
    "t1"."label" = 1
  ) AS BIGINT)) AS "pos",
  SUM(CAST((
    NOT "t1"."label" IS NULL
  ) AND (
    "t1"."label" = 0
  ) AS BIGINT)) AS "neg"
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
    1 AS "w",
    CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END <> "t0"."label" AS DOUBLE) AS "v",
    CAST(EPOCH(CAST("t0"."timestamp" AS TIMESTAMP)) AS DOUBLE) AS "t",
    CAST(CASE
      WHEN "t0"."score" >= 1
      THEN 99
      ELSE CAST(FLOOR("t0"."score" * 100) AS BIGINT)
    END AS SMALLINT) AS "b"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
    AND NOT CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END IS NULL
    AND NOT "t0"."score" IS NULL
) AS "t1"
GROUP BY
  1,
  2
