{#- Per slice, followed column and period: rows, nulls, and for numeric
    columns the mean, standard deviation and 5th / 50th / 95th percentiles
    (interpolated, percentile_cont) of the values. -#}
{%- set columns = model_drift.drift_columns(ref('int_model_drift__observations_cleaned')) -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_segmented') }}

),

stats as (

    {% for column in columns -%}
    {%- set quoted = model_drift.quote_name(column.name) -%}
    {%- set value = 'cast(' ~ quoted ~ ' as ' ~ model_drift.type_double() ~ ')'
        if column.type == 'numeric' else 'null' -%}
    select
        segment_column,
        segment_value,
        period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        '{{ column.role }}' as feature_role,
        '{{ column.type }}' as feature_type,
        count(*) as row_count,
        count({{ quoted }}) as value_count,
        {% if column.type == 'numeric' -%}
        {%- set percentiles = model_drift.percentiles_cont(value, [0.05, 0.5, 0.95]) -%}
        avg({{ value }}) as value_mean,
        stddev_samp({{ value }}) as value_std,
        {{ percentiles[0] }} as value_p05,
        {{ percentiles[1] }} as value_p50,
        {{ percentiles[2] }} as value_p95,
        cast(null as {{ dbt.type_bigint() }}) as distinct_categories
        {%- else -%}
        cast(null as {{ model_drift.type_double() }}) as value_mean,
        cast(null as {{ model_drift.type_double() }}) as value_std,
        cast(null as {{ model_drift.type_double() }}) as value_p05,
        cast(null as {{ model_drift.type_double() }}) as value_p50,
        cast(null as {{ model_drift.type_double() }}) as value_p95,
        count(distinct cast({{ quoted }} as {{ dbt.type_string() }})) as distinct_categories
        {%- endif %}
    from observations
    group by segment_column, segment_value, period_start
    union all
    {% endfor -%}
    {#- named, so the union has these columns even with no followed column -#}
    select
        cast(null as {{ dbt.type_string() }}) as segment_column,
        cast(null as {{ dbt.type_string() }}) as segment_value,
        cast(null as {{ dbt.type_timestamp() }}) as period_start,
        cast(null as {{ dbt.type_string() }}) as feature_name,
        cast(null as {{ dbt.type_string() }}) as feature_role,
        cast(null as {{ dbt.type_string() }}) as feature_type,
        cast(0 as {{ dbt.type_bigint() }}) as row_count,
        cast(0 as {{ dbt.type_bigint() }}) as value_count,
        cast(null as {{ model_drift.type_double() }}) as value_mean,
        cast(null as {{ model_drift.type_double() }}) as value_std,
        cast(null as {{ model_drift.type_double() }}) as value_p05,
        cast(null as {{ model_drift.type_double() }}) as value_p50,
        cast(null as {{ model_drift.type_double() }}) as value_p95,
        cast(null as {{ dbt.type_bigint() }}) as distinct_categories
    where 1 = 0

)

select * from stats
