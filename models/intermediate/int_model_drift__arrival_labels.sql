{#- Per slice, event period and the period the label arrived in: how many
    labels. Kept by event period, so an incremental run (var
    model_drift_incremental) rewrites the events it re-reads, and
    model_drift__arrival_by_period sums them by arrival period. -#}
{{ config(**model_drift.incremental_config()) }}
{%- set s = model_drift.settings() -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    where label_at is not null
        and {{ model_drift.incremental_window('period_start', ref('int_model_drift__observations_segmented')) }}

),

final as (

    select
        segment_column,
        segment_value,
        period_start,
        cast({{ dbt.date_trunc(s.period, 'label_at') }} as {{ dbt.type_timestamp() }}) as label_period_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as labels_received_count
    {{ model_drift.incremental_columns() }}
    from observations
    group by segment_column, segment_value, period_start, {{ dbt.date_trunc(s.period, 'label_at') }}

)

select * from final
