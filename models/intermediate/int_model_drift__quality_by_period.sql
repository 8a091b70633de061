{#- The production prediction's quality per slice, model version and period:
    each slice-version-period's row counts, with one row per computed
    metric (metric_name null where none could be computed). The per-period
    rows model_drift__performance_by_period is built from; incremental with
    var model_drift_incremental. Empty when var model_drift_prediction is
    not set. -#}
{{ config(**model_drift.incremental_config()) }}
{%- set s = model_drift.settings() -%}
{%- set cleaned = ref('int_model_drift__observations_cleaned') -%}
{%- set task = model_drift.staged_task(cleaned) -%}
{%- set keys = ['segment_column', 'segment_value', 'model_version', 'period_start'] -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    where {{ '1 = 0' if s.roles.prediction is none else model_drift.incremental_window('period_start', cleaned) }}

),

{{ model_drift.quality_metric_ctes('observations', keys, task) }},

row_counts as (

    select
        segment_column, segment_value, model_version, period_start,
        count(*) as row_count,
        sum(case when is_labelled then 1 else 0 end) as labelled_row_count
    from observations
    group by segment_column, segment_value, model_version, period_start

),

final as (

    select
        row_counts.segment_column,
        row_counts.segment_value,
        row_counts.model_version,
        row_counts.period_start,
        cast(row_counts.row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(row_counts.labelled_row_count as {{ dbt.type_bigint() }}) as labelled_row_count,
        cast(quality_metrics.metric_name as {{ dbt.type_string() }}) as metric_name,
        quality_metrics.metric_value,
        quality_metrics.ci_low,
        quality_metrics.ci_high,
        quality_metrics.ci_method,
        quality_metrics.metric_row_count,
        quality_metrics.null_reason
    {{ model_drift.incremental_columns() }}
    from row_counts
    left join quality_metrics
        on row_counts.segment_column = quality_metrics.segment_column
        and row_counts.segment_value = quality_metrics.segment_value
        and row_counts.model_version = quality_metrics.model_version
        and row_counts.period_start = quality_metrics.period_start

)

select * from final
