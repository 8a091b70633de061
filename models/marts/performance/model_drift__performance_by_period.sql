{#- Q1 from what production logged: every quality metric of the production
    prediction per period, slice and model version, with its interval. One
    row per metric, so the schema is the same for every task. Periods with
    too few labels are flagged (is_low_label_count), never dropped; a metric
    that cannot be computed is null with its null_reason. Empty (but typed)
    when var model_drift_prediction is not set. Built from
    int_model_drift__quality_by_period, so it is cheap to rebuild after an
    incremental run. -#}
{%- set s = model_drift.settings() -%}
{%- set cleaned = ref('int_model_drift__observations_cleaned') -%}
{%- set task = model_drift.staged_task(cleaned) -%}

with quality as (

    select * from {{ ref('int_model_drift__quality_by_period') }}

),

spine as (

    select * from {{ ref('int_model_drift__period_spine') }}

),

row_counts as (

    select distinct
        segment_column, segment_value, model_version, period_start, row_count, labelled_row_count
    from quality

),

quality_metrics as (

    select
        segment_column, segment_value, model_version, period_start,
        metric_name, metric_value, ci_low, ci_high, ci_method, metric_row_count, null_reason
    from quality
    where metric_name is not null

),

group_lifetimes as (

    {#- every period between a slice-version's first and last row, so a
        period with rows but no labels still gets its (null) metrics -#}
    select
        segment_column, segment_value, model_version,
        min(period_start) as first_period, max(period_start) as last_period
    from row_counts
    group by segment_column, segment_value, model_version

),

metric_names as (

    {% for name in model_drift.metric_names(task) -%}
    select {{ loop.index }} as metric_order, '{{ name }}' as metric_name
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

grid as (

    select
        group_lifetimes.segment_column,
        group_lifetimes.segment_value,
        group_lifetimes.model_version,
        spine.period_start,
        metric_names.metric_order,
        metric_names.metric_name
    from group_lifetimes
    inner join spine
        on spine.period_start between group_lifetimes.first_period and group_lifetimes.last_period
    cross join metric_names

),

final as (

    select
        cast(grid.segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(grid.segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(grid.model_version as {{ dbt.type_string() }}) as model_version,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(grid.period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast('{{ task }}' as {{ dbt.type_string() }}) as task,
        cast(grid.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(grid.metric_order as {{ dbt.type_int() }}) as metric_order,
        cast(quality_metrics.metric_value as {{ model_drift.type_double() }}) as metric_value,
        cast(quality_metrics.ci_low as {{ model_drift.type_double() }}) as ci_low,
        cast(quality_metrics.ci_high as {{ model_drift.type_double() }}) as ci_high,
        cast({{ s.confidence_level }} as {{ model_drift.type_double() }}) as ci_level,
        cast(coalesce(quality_metrics.ci_method, 'none') as {{ dbt.type_string() }}) as ci_method,
        cast(coalesce(row_counts.row_count, 0) as {{ dbt.type_bigint() }}) as row_count,
        cast(coalesce(row_counts.labelled_row_count, 0) as {{ dbt.type_bigint() }}) as labelled_row_count,
        cast(coalesce(quality_metrics.metric_row_count, 0) as {{ dbt.type_bigint() }}) as metric_row_count,
        coalesce(row_counts.labelled_row_count, 0) < {{ s.min_labels_per_period }} as is_low_label_count,
        cast(
            case
                when quality_metrics.metric_name is null then 'no labelled rows with a prediction'
                else quality_metrics.null_reason
            end as {{ dbt.type_string() }}
        ) as null_reason
    from grid
    left join row_counts
        on grid.segment_column = row_counts.segment_column
        and grid.segment_value = row_counts.segment_value
        and grid.model_version = row_counts.model_version
        and grid.period_start = row_counts.period_start
    left join quality_metrics
        on grid.segment_column = quality_metrics.segment_column
        and grid.segment_value = quality_metrics.segment_value
        and grid.model_version = quality_metrics.model_version
        and grid.period_start = quality_metrics.period_start
        and grid.metric_name = quality_metrics.metric_name

)

select * from final
