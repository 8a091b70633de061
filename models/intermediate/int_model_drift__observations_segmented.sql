{#- Each cleaned observation once in the overall slice (segment_column =
    segment_value = 'all') and once per model_drift_segments column, so every
    per-period mart groups by (segment_column, segment_value) and keeps one
    schema whatever the segments are. A null segment value becomes '(null)'. -#}
{%- set segments = model_drift.segment_columns(ref('int_model_drift__observations_cleaned')) -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_cleaned') }}

),

slices as (

    {% for segment in [none] + segments -%}
    select
        cast('{{ segment or "all" }}' as {{ dbt.type_string() }}) as segment_column,
        cast({{ "coalesce(" ~ adapter.quote(segment) ~ ", '(null)')" if segment else "'all'" }} as {{ dbt.type_string() }}) as segment_value,
        event_at,
        label_at,
        period_start,
        is_labelled,
        label_delay_hours
    from observations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from slices
