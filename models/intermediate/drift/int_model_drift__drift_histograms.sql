{#- One GROUP BY per followed column: for every slice and period, the count,
    sum, min and max of its values in each reference-quantile bin (numeric)
    or each category (categorical, the top categories by name, the rest as
    '__other__'). Every drift distance is computed from these rows. -#}
{%- set columns = model_drift.drift_columns(ref('int_model_drift__observations_cleaned')) -%}
{%- set edges = model_drift.bin_edges(ref('int_model_drift__drift_bin_edges')) -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}

),

top_categories as (

    select * from {{ ref('int_model_drift__drift_top_categories') }}

),

histograms as (

    {% for column in columns -%}
    {%- set quoted = model_drift.quote_name(column.name) -%}
    {%- if column.type == 'numeric' -%}
    {%- set value = 'cast(' ~ quoted ~ ' as ' ~ model_drift.type_double() ~ ')' -%}
    {%- set feature_edges = edges.get(column.name, {'edges': [], 'deciles': []}) -%}
    select
        segment_column,
        segment_value,
        period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        {{ model_drift.bin_number(value, feature_edges.edges) }} as bin_number,
        {{ model_drift.bin_number(value, feature_edges.deciles) }} as decile_bin_number,
        cast(null as {{ dbt.type_string() }}) as category,
        count(*) as value_count,
        sum({{ value }}) as value_sum,
        min({{ value }}) as value_min,
        max({{ value }}) as value_max
    from observations
    where {{ quoted }} is not null
    group by segment_column, segment_value, period_start, 4, 5, 6, 7
    {%- else -%}
    select
        observations.segment_column,
        observations.segment_value,
        observations.period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        coalesce(top_categories.category_rank, 0) as bin_number,
        coalesce(top_categories.category_rank, 0) as decile_bin_number,
        coalesce(top_categories.category, '__other__') as category,
        count(*) as value_count,
        cast(null as {{ model_drift.type_double() }}) as value_sum,
        cast(null as {{ model_drift.type_double() }}) as value_min,
        cast(null as {{ model_drift.type_double() }}) as value_max
    from observations
    left join top_categories
        on top_categories.feature_name = {{ model_drift.string_literal(column.name) }}
        and top_categories.category = cast(observations.{{ quoted }} as {{ dbt.type_string() }})
    where observations.{{ quoted }} is not null
    group by observations.segment_column, observations.segment_value, observations.period_start, 4, 5, 6, 7
    {%- endif %}
    union all
    {% endfor -%}
    {#- named, so the union has these columns even with no followed column -#}
    select
        cast(null as {{ dbt.type_string() }}) as segment_column,
        cast(null as {{ dbt.type_string() }}) as segment_value,
        cast(null as {{ dbt.type_timestamp() }}) as period_start,
        cast(null as {{ dbt.type_string() }}) as feature_name,
        cast(0 as {{ dbt.type_int() }}) as bin_number,
        cast(0 as {{ dbt.type_int() }}) as decile_bin_number,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(0 as {{ dbt.type_bigint() }}) as value_count,
        cast(null as {{ model_drift.type_double() }}) as value_sum,
        cast(null as {{ model_drift.type_double() }}) as value_min,
        cast(null as {{ model_drift.type_double() }}) as value_max
    where 1 = 0

)

select
    cast(segment_column as {{ dbt.type_string() }}) as segment_column,
    cast(segment_value as {{ dbt.type_string() }}) as segment_value,
    cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
    cast(feature_name as {{ dbt.type_string() }}) as feature_name,
    cast(bin_number as {{ dbt.type_int() }}) as bin_number,
    cast(decile_bin_number as {{ dbt.type_int() }}) as decile_bin_number,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(value_count as {{ dbt.type_bigint() }}) as value_count,
    cast(value_sum as {{ model_drift.type_double() }}) as value_sum,
    cast(value_min as {{ model_drift.type_double() }}) as value_min,
    cast(value_max as {{ model_drift.type_double() }}) as value_max
from histograms
