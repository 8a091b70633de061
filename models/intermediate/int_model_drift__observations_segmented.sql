{#- Each cleaned observation once in the overall slice (segment_column =
    segment_value = 'all') and once per model_drift_segments column, so every
    per-period mart groups by (segment_column, segment_value) and keeps one
    schema whatever the segments are. A null segment value becomes '(null)'.
    Every cleaned column comes along. A view: it is a cheap union over the
    cleaned table, read by a few marts. -#}
{{ config(materialized='view') }}
{%- set segments = model_drift.segment_columns(ref('int_model_drift__observations_cleaned')) -%}
{%- set columns = model_drift.staged_columns(ref('int_model_drift__observations_cleaned')) -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_cleaned') }}

),

slices as (

    {% for segment in [none] + segments -%}
    select
        cast({{ model_drift.string_literal(segment or "all") }} as {{ dbt.type_string() }}) as segment_column,
        cast(
            {{ "coalesce(" ~ model_drift.quote_name(segment) ~ ", '(null)')" if segment else "'all'" }}
            as {{ dbt.type_string() }}
        ) as segment_value,
        {% for column_name in columns if column_name | lower != 'model_version' -%}
        {{ model_drift.quote_name(column_name) }},
        {% endfor -%}
        {{ "coalesce(model_version, '(null)')" if model_drift.settings().roles.model_version
            else "'all'" }} as model_version
    from observations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from slices
