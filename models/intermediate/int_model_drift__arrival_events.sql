{#- Per slice and event period: the rows, the labelled rows and how late
    their labels came. The per-period rows model_drift__arrival_by_period is
    built from; incremental with var model_drift_incremental. -#}
{{ config(**model_drift.incremental_config()) }}

with observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    where {{ model_drift.incremental_window('period_start', ref('int_model_drift__observations_segmented')) }}

),

final as (

    select
        segment_column,
        segment_value,
        period_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as row_count,
        cast(sum(case when is_labelled then 1 else 0 end) as {{ dbt.type_bigint() }}) as labelled_row_count,
        {% for percentile in model_drift.percentiles_cont('label_delay_hours', [0.5, 0.9, 0.99]) -%}
        cast({{ percentile }} as {{ model_drift.type_double() }}) as label_delay_hours_p{{ [50, 90, 99][loop.index0] }},
        {% endfor -%}
        cast(max(label_delay_hours) as {{ model_drift.type_double() }}) as label_delay_hours_max
    {{ model_drift.incremental_columns() }}
    from observations
    group by segment_column, segment_value, period_start

)

select * from final
