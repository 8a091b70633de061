{#- The rows the backtest (model_drift__backtest_scores) reads, so that its
    memory grows with the number of periods and not with the table: every
    cleaned observation of a period with at most
    model_drift_backtest_max_rows_per_period rows, and of a larger period a
    deterministic sample of about that many (a row is kept when a hash of its
    key, or of the whole row without var model_drift_id, falls below cap / the
    period's rows). Labelled and unlabelled rows are sampled alike. A filter
    with no sort, so it streams at any size; a view, as its one reader reads
    it once. -#}
{{ config(materialized='view') }}
{%- set s = model_drift.settings() -%}
{%- set cap = s.backtest_max_rows_per_period -%}
{%- set qualified = model_drift.qualified_columns(ref('int_model_drift__observations_cleaned'), 'observations') -%}
{%- set key = model_drift.row_key(ref('int_model_drift__observations_cleaned'), 'observations') -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_cleaned') }}

),

period_sizes as (

    select
        period_start,
        count(*) as period_row_count
    from observations
    group by period_start

),

sampled as (

    select
        {% for column in qualified -%}
        {{ column }},
        {% endfor -%}
        period_sizes.period_row_count
    from observations
    inner join period_sizes
        on observations.period_start = period_sizes.period_start
    where period_sizes.period_row_count <= {{ cap }}
        or {{ model_drift.hash_fraction(key) }} * period_sizes.period_row_count < {{ cap }}

)

select * from sampled
