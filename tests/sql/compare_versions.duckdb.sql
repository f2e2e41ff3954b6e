-- [1/3]
SELECT
  BOOL_OR(CAST(NOT "t0"."score" IS NULL AS BOOLEAN)) AS "Any(NotNull(score))"
FROM "main"."credit" AS "t0"

-- [2/3]
SELECT
  "t1"."_v",
  COUNT(*) AS "n",
  SUM(CAST("t1"."prediction" IS NULL AS BIGINT)) AS "n_failed",
  SUM(
    CAST((
      NOT "t1"."prediction" IS NULL
    ) AND (
      NOT "t1"."label" IS NULL
    ) AS BIGINT)
  ) AS "n_labelled",
  SUM(
    CAST((
      NOT "t1"."prediction" IS NULL
    )
    AND (
      NOT "t1"."label" IS NULL
    )
    AND (
      "t1"."prediction" = 1
    )
    AND (
      "t1"."label" = 1
    ) AS BIGINT)
  ) AS "tp",
  SUM(
    CAST((
      NOT "t1"."prediction" IS NULL
    )
    AND (
      NOT "t1"."label" IS NULL
    )
    AND (
      "t1"."prediction" = 1
    )
    AND (
      "t1"."label" = 0
    ) AS BIGINT)
  ) AS "fp",
  SUM(
    CAST((
      NOT "t1"."prediction" IS NULL
    )
    AND (
      NOT "t1"."label" IS NULL
    )
    AND (
      "t1"."prediction" = 0
    )
    AND (
      "t1"."label" = 0
    ) AS BIGINT)
  ) AS "tn",
  SUM(
    CAST((
      NOT "t1"."prediction" IS NULL
    )
    AND (
      NOT "t1"."label" IS NULL
    )
    AND (
      "t1"."prediction" = 0
    )
    AND (
      "t1"."label" = 1
    ) AS BIGINT)
  ) AS "fn",
  SUM(CAST("t1"."prediction" = 1 AS BIGINT)) AS "n_positive_predicted",
  SUM(CAST(NOT "t1"."score" IS NULL AS BIGINT)) AS "n_scored",
  SUM("t1"."score") AS "sum_score",
  SUM("t1"."score" * "t1"."score") AS "sum_score_sq",
  SUM(
    -(
      (
        "t1"."label" * LN(
          CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      ) + (
        (
          1 - "t1"."label"
        ) * LN(
          1 - CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      )
    )
  ) AS "sum_log_loss",
  SUM(
    -(
      (
        "t1"."label" * LN(
          CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      ) + (
        (
          1 - "t1"."label"
        ) * LN(
          1 - CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      )
    ) * -(
      (
        "t1"."label" * LN(
          CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      ) + (
        (
          1 - "t1"."label"
        ) * LN(
          1 - CASE
            WHEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END IS NULL
            THEN CASE
              WHEN "t1"."score" IS NULL
              THEN "t1"."score"
              ELSE LEAST(0.9999999999999998, "t1"."score")
            END
            ELSE GREATEST(
              2.220446049250313e-16,
              CASE
                WHEN "t1"."score" IS NULL
                THEN "t1"."score"
                ELSE LEAST(0.9999999999999998, "t1"."score")
              END
            )
          END
        )
      )
    )
  ) AS "sum_log_loss_sq",
  SUM((
    "t1"."score" - "t1"."label"
  ) * (
    "t1"."score" - "t1"."label"
  )) AS "sum_brier",
  SUM(
    (
      "t1"."score" - "t1"."label"
    ) * (
      "t1"."score" - "t1"."label"
    ) * (
      (
        "t1"."score" - "t1"."label"
      ) * (
        "t1"."score" - "t1"."label"
      )
    )
  ) AS "sum_brier_sq"
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
    "t0"."model_version" AS "_v"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."model_version" IN ('v1', 'v2')
) AS "t1"
GROUP BY
  1

-- [3/3]
SELECT
  COUNT(*) AS "n_shared",
  SUM(CAST("t7"."pa" <> "t7"."pb" AS BIGINT)) AS "n_disagree",
  SUM(CAST(NOT COALESCE("t7"."ya", "t7"."yb") IS NULL AS BIGINT)) AS "n_shared_labelled",
  SUM(
    CAST((
      NOT COALESCE("t7"."ya", "t7"."yb") IS NULL
    )
    AND (
      "t7"."pa" = COALESCE("t7"."ya", "t7"."yb")
    )
    AND NOT (
      (
        NOT COALESCE("t7"."ya", "t7"."yb") IS NULL
      )
      AND (
        "t7"."pb" = COALESCE("t7"."ya", "t7"."yb")
      )
    ) AS BIGINT)
  ) AS "only_a_right",
  SUM(
    CAST((
      NOT COALESCE("t7"."ya", "t7"."yb") IS NULL
    )
    AND (
      "t7"."pb" = COALESCE("t7"."ya", "t7"."yb")
    )
    AND NOT (
      (
        NOT COALESCE("t7"."ya", "t7"."yb") IS NULL
      )
      AND (
        "t7"."pa" = COALESCE("t7"."ya", "t7"."yb")
      )
    ) AS BIGINT)
  ) AS "only_b_right",
  SUM(ABS("t7"."sa" - "t7"."sb")) AS "sum_abs_score_difference"
FROM (
  SELECT
    "t5"."trace_id",
    "t5"."pa",
    "t5"."sa",
    "t5"."ya",
    "t6"."pb",
    "t6"."sb",
    "t6"."yb"
  FROM (
    SELECT
      "t1"."trace_id",
      ANY_VALUE("t1"."prediction") AS "pa",
      ANY_VALUE("t1"."score") AS "sa",
      ANY_VALUE("t1"."label") AS "ya"
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
        "t0"."model_version" IN ('v1', 'v2')
        AND "t0"."model_version" = 'v1'
        AND NOT "t0"."trace_id" IS NULL
        AND NOT CASE
          WHEN "t0"."score" IS NULL
          THEN "t0"."prediction"
          ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
        END IS NULL
    ) AS "t1"
    GROUP BY
      1
  ) AS "t5"
  INNER JOIN (
    SELECT
      "t2"."trace_id",
      ANY_VALUE("t2"."prediction") AS "pb",
      ANY_VALUE("t2"."score") AS "sb",
      ANY_VALUE("t2"."label") AS "yb"
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
        "t0"."model_version" IN ('v1', 'v2')
        AND "t0"."model_version" = 'v2'
        AND NOT "t0"."trace_id" IS NULL
        AND NOT CASE
          WHEN "t0"."score" IS NULL
          THEN "t0"."prediction"
          ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
        END IS NULL
    ) AS "t2"
    GROUP BY
      1
  ) AS "t6"
    ON "t5"."trace_id" = "t6"."trace_id"
) AS "t7"
