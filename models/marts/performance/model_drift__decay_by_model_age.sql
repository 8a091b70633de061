{#- Q1 by real model age: the production prediction's quality by how many
    periods have passed since its model was trained, pooled over every model
    version (vars model_drift_model_versions_*). Age 0 is the period the
    model was trained in. Rows scored before their model's training time,
    or by a version with no training time, are left out (counted in
    model_drift__decay_by_model_age's version_count / README). Empty when no
    model versions are configured or model_drift_prediction is unset. -#}
{%- set s = model_drift.settings() -%}
{%- set task = model_drift.staged_task(ref('int_model_drift__observations_cleaned')) -%}
{%- set keys = ['segment_column', 'segment_value', 'model_age_periods'] -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    {% if s.roles.prediction is none or s.roles.model_version is none %}where 1 = 0{% endif %}

),

versions as (

    select * from {{ ref('stg_model_drift__model_versions') }}

),

aged as (

    select
        observations.*,
        {{ dbt.datediff(
            dbt.date_trunc(s.period, 'versions.trained_at'), 'observations.period_start', s.period
        ) }} as model_age_periods
    from observations
    inner join versions
        on observations.model_version = versions.model_version
    where versions.trained_at is not null
        and observations.event_at >= versions.trained_at

),

{{ model_drift.quality_metric_ctes('aged', keys, task) }},

row_counts as (

    select
        segment_column, segment_value, model_age_periods,
        count(*) as row_count,
        sum(case when is_labelled then 1 else 0 end) as labelled_row_count,
        count(distinct model_version) as version_count
    from aged
    group by segment_column, segment_value, model_age_periods

),

final as (

    select
        cast(row_counts.segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(row_counts.segment_value as {{ dbt.type_string() }}) as segment_value,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(row_counts.model_age_periods as {{ dbt.type_int() }}) as model_age_periods,
        cast('{{ task }}' as {{ dbt.type_string() }}) as task,
        cast(quality_metrics.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(quality_metrics.metric_value as {{ model_drift.type_double() }}) as metric_value,
        cast(quality_metrics.ci_low as {{ model_drift.type_double() }}) as ci_low,
        cast(quality_metrics.ci_high as {{ model_drift.type_double() }}) as ci_high,
        cast({{ s.confidence_level }} as {{ model_drift.type_double() }}) as ci_level,
        cast(quality_metrics.ci_method as {{ dbt.type_string() }}) as ci_method,
        cast(row_counts.version_count as {{ dbt.type_bigint() }}) as version_count,
        cast(row_counts.row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(row_counts.labelled_row_count as {{ dbt.type_bigint() }}) as labelled_row_count,
        cast(quality_metrics.metric_row_count as {{ dbt.type_bigint() }}) as metric_row_count,
        row_counts.labelled_row_count < {{ s.min_labels_per_period }} as is_low_label_count,
        cast(quality_metrics.null_reason as {{ dbt.type_string() }}) as null_reason
    from row_counts
    inner join quality_metrics
        on row_counts.segment_column = quality_metrics.segment_column
        and row_counts.segment_value = quality_metrics.segment_value
        and row_counts.model_age_periods = quality_metrics.model_age_periods

)

select * from final
