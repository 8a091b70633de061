{#- Q2, per period: how many rows and labels arrived, how late the labels
    came, and which periods had nothing. Built from the per-period counts
    (int_model_drift__arrival_events and _labels), so it is cheap to
    rebuild after an incremental run. -#}
{%- set s = model_drift.settings() -%}

with events_by_period as (

    select * from {{ ref('int_model_drift__arrival_events') }}

),

spine as (

    select * from {{ ref('int_model_drift__period_spine') }}

),

labels_by_period as (

    {#- labels counted in the period they arrived, not the period of their event -#}
    select
        segment_column,
        segment_value,
        label_period_start as period_start,
        sum(labels_received_count) as labels_received_count
    from {{ ref('int_model_drift__arrival_labels') }}
    group by segment_column, segment_value, label_period_start

),

segment_keys as (

    select distinct segment_column, segment_value from events_by_period

),

grid as (

    select
        segment_keys.segment_column,
        segment_keys.segment_value,
        spine.period_start,
        spine.period_end,
        spine.period_number
    from segment_keys
    cross join spine

),

joined as (

    select
        grid.segment_column,
        grid.segment_value,
        grid.period_start,
        grid.period_end,
        grid.period_number,
        coalesce(events_by_period.row_count, 0) as row_count,
        coalesce(events_by_period.labelled_row_count, 0) as labelled_row_count,
        coalesce(labels_by_period.labels_received_count, 0) as labels_received_count,
        events_by_period.label_delay_hours_p50,
        events_by_period.label_delay_hours_p90,
        events_by_period.label_delay_hours_p99,
        events_by_period.label_delay_hours_max
    from grid
    left join events_by_period
        on grid.segment_column = events_by_period.segment_column
        and grid.segment_value = events_by_period.segment_value
        and grid.period_start = events_by_period.period_start
    left join labels_by_period
        on grid.segment_column = labels_by_period.segment_column
        and grid.segment_value = labels_by_period.segment_value
        and grid.period_start = labels_by_period.period_start

),

final as (

    select
        cast(segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast(period_end as {{ dbt.type_timestamp() }}) as period_end,
        cast(period_number as {{ dbt.type_bigint() }}) as period_number,
        cast({{ model_drift.iso_day_of_week('period_start') }} as {{ dbt.type_int() }}) as period_day_of_week,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(labelled_row_count as {{ dbt.type_bigint() }}) as labelled_row_count,
        cast(row_count - labelled_row_count as {{ dbt.type_bigint() }}) as unlabelled_row_count,
        cast(
            case
                when row_count > 0
                then {{ model_drift.to_double('labelled_row_count') }} / row_count
            end as {{ model_drift.type_double() }}
        ) as label_coverage,
        cast(labels_received_count as {{ dbt.type_bigint() }}) as labels_received_count,
        cast(label_delay_hours_p50 as {{ model_drift.type_double() }}) as label_delay_hours_p50,
        cast(label_delay_hours_p90 as {{ model_drift.type_double() }}) as label_delay_hours_p90,
        cast(label_delay_hours_p99 as {{ model_drift.type_double() }}) as label_delay_hours_p99,
        cast(label_delay_hours_max as {{ model_drift.type_double() }}) as label_delay_hours_max,
        (row_count = 0) as is_gap,
        cast(sum(row_count) over (
            partition by segment_column, segment_value order by period_start
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as cumulative_row_count,
        cast(sum(labelled_row_count) over (
            partition by segment_column, segment_value order by period_start
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as cumulative_labelled_row_count
    from joined

)

select * from final
