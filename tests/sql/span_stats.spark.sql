-- [1/3]
SELECT
  `t1`.`bucket`,
  `t1`.`name`,
  COUNT(*) AS `volume`,
  SUM(`t1`.`failed`) AS `errors`,
  AVG(`t1`.`dur`) AS `mean_ms`
FROM (
  SELECT
    `t0`.`trace_key`,
    `t0`.`trace_id`,
    `t0`.`span_id`,
    `t0`.`parent_span_id`,
    `t0`.`name`,
    `t0`.`kind`,
    `t0`.`service_name`,
    `t0`.`start_ns`,
    `t0`.`end_ns`,
    `t0`.`status`,
    `t0`.`status_message`,
    `t0`.`attributes`,
    `t0`.`resource`,
    CAST(FLOOR(
      (
        CAST(FLOOR((
          `t0`.`start_ns`
        ) / (
          1000
        )) AS BIGINT) - 1770681600000000
      ) / (
        604800000000
      )
    ) AS BIGINT) AS `bucket`,
    CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0 AS `dur`,
    CAST(`t0`.`status` = 'error' AS BIGINT) AS `failed`,
    CAST(CAST(FLOOR(
      LN(
        IF(
          (
            CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0
          ) IS NULL,
          CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0,
          GREATEST(0.001, CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0)
        )
      ) * 200
    ) AS BIGINT) AS INT) AS `b`
  FROM `spans`.`spans` AS `t0`
  WHERE
    `t0`.`start_ns` >= 1770681600000000000 AND `t0`.`start_ns` < 1772409600000000000
) AS `t1`
GROUP BY
  1,
  2

-- [2/3]
SELECT
  `t1`.`bucket`,
  `t1`.`name`,
  `t1`.`b`,
  COUNT(*) AS `n`
FROM (
  SELECT
    `t0`.`trace_key`,
    `t0`.`trace_id`,
    `t0`.`span_id`,
    `t0`.`parent_span_id`,
    `t0`.`name`,
    `t0`.`kind`,
    `t0`.`service_name`,
    `t0`.`start_ns`,
    `t0`.`end_ns`,
    `t0`.`status`,
    `t0`.`status_message`,
    `t0`.`attributes`,
    `t0`.`resource`,
    CAST(FLOOR(
      (
        CAST(FLOOR((
          `t0`.`start_ns`
        ) / (
          1000
        )) AS BIGINT) - 1770681600000000
      ) / (
        604800000000
      )
    ) AS BIGINT) AS `bucket`,
    CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0 AS `dur`,
    CAST(`t0`.`status` = 'error' AS BIGINT) AS `failed`,
    CAST(CAST(FLOOR(
      LN(
        IF(
          (
            CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0
          ) IS NULL,
          CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0,
          GREATEST(0.001, CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0)
        )
      ) * 200
    ) AS BIGINT) AS INT) AS `b`
  FROM `spans`.`spans` AS `t0`
  WHERE
    `t0`.`start_ns` >= 1770681600000000000
    AND `t0`.`start_ns` < 1772409600000000000
    AND (
      NOT (
        CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0
      ) IS NULL
      AND NOT ISNAN(CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0)
    )
) AS `t1`
GROUP BY
  1,
  2,
  3

-- [3/3]
SELECT
  `t2`.`trace_id`,
  `t2`.`name`,
  `t2`.`start_ns`,
  `t2`.`duration_ms`,
  `t2`.`status`
FROM (
  SELECT
    `t0`.`trace_key`,
    `t0`.`trace_id`,
    `t0`.`span_id`,
    `t0`.`parent_span_id`,
    `t0`.`name`,
    `t0`.`kind`,
    `t0`.`service_name`,
    `t0`.`start_ns`,
    `t0`.`end_ns`,
    `t0`.`status`,
    `t0`.`status_message`,
    `t0`.`attributes`,
    `t0`.`resource`,
    CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0 AS `duration_ms`
  FROM `spans`.`spans` AS `t0`
  WHERE
    `t0`.`start_ns` >= 1770681600000000000
    AND `t0`.`start_ns` < 1772409600000000000
    AND `t0`.`parent_span_id` IS NULL
  ORDER BY
    CAST(`t0`.`end_ns` - `t0`.`start_ns` AS DOUBLE) / 1000000.0 DESC,
    `t0`.`trace_id` ASC NULLS LAST
  LIMIT 20
) AS `t2`
