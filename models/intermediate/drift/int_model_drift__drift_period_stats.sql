{#- Per slice, followed column and period: rows, nulls, and for numeric
    columns the mean, standard deviation and 5th / 50th / 95th percentiles
    (interpolated, as percentile_cont) of the values. Where
    model_drift.period_percentiles has an engine's own way (DuckDB: exact,
    from the fine histograms' brackets, in bounded memory), the
    percentiles join in from it, one list per slice, column and period;
    elsewhere they are percentile_cont in the GROUP BY. -#}
{{ config(**model_drift.incremental_config()) }}
{%- set columns = model_drift.drift_columns(ref('int_model_drift__observations_cleaned')) -%}
{%- set fractions = [0.05, 0.5, 0.95] -%}
{%- set bracketed = model_drift.period_percentiles(
    'observations', columns, fractions,
    ref('int_model_drift__drift_histograms'), ref('int_model_drift__drift_bin_edges')) | trim -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    where {{ model_drift.incremental_window('period_start', ref('int_model_drift__observations_cleaned')) }}

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
        {%- set percentiles = ['null'] * 3 if bracketed else model_drift.percentiles_cont(value, fractions) -%}
        avg({{ value }}) as value_mean,
        stddev_samp({{ value }}) as value_std,
        cast({{ percentiles[0] }} as {{ model_drift.type_double() }}) as value_p05,
        cast({{ percentiles[1] }} as {{ model_drift.type_double() }}) as value_p50,
        cast({{ percentiles[2] }} as {{ model_drift.type_double() }}) as value_p95,
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

){% if bracketed %},

percentiles as (

    {{ bracketed }}

){% endif %}

{% if bracketed -%}
select
    stats.segment_column,
    stats.segment_value,
    stats.period_start,
    stats.feature_name,
    stats.feature_role,
    stats.feature_type,
    stats.row_count,
    stats.value_count,
    stats.value_mean,
    stats.value_std,
    {% for name in ['value_p05', 'value_p50', 'value_p95'] -%}
    percentiles.value_percentiles[{{ loop.index }}] as {{ name }},
    {% endfor -%}
    stats.distinct_categories
{{ model_drift.incremental_columns() }}
from stats
left join percentiles
    on stats.segment_column = percentiles.segment_column
    and stats.segment_value = percentiles.segment_value
    and stats.period_start = percentiles.period_start
    and stats.feature_name = percentiles.feature_name
{%- else -%}
select *{{ model_drift.incremental_columns() }} from stats
{%- endif %}
