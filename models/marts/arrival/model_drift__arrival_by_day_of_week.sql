{#- Q2, weekly seasonality: the average rows and labelled rows per calendar
    day, by day of the week, counting days with no rows as zeros. Computed on
    days whatever model_drift_period is. -#}

with observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}

),

days as (

    {{ model_drift.period_spine('day',
        '(select min(' ~ dbt.date_trunc('day', 'event_at') ~ ') from observations)',
        '(select max(' ~ dbt.date_trunc('day', 'event_at') ~ ') from observations)') }}

),

rows_by_day as (

    select
        segment_column,
        segment_value,
        {{ dbt.date_trunc('day', 'event_at') }} as day_start,
        count(*) as row_count,
        sum(case when is_labelled then 1 else 0 end) as labelled_row_count
    from observations
    group by segment_column, segment_value, {{ dbt.date_trunc('day', 'event_at') }}

),

segment_keys as (

    select distinct segment_column, segment_value from observations

),

every_day as (

    select
        segment_keys.segment_column,
        segment_keys.segment_value,
        {{ model_drift.iso_day_of_week('days.period_start') }} as day_of_week,
        coalesce(rows_by_day.row_count, 0) as row_count,
        coalesce(rows_by_day.labelled_row_count, 0) as labelled_row_count
    from segment_keys
    cross join days
    left join rows_by_day
        on segment_keys.segment_column = rows_by_day.segment_column
        and segment_keys.segment_value = rows_by_day.segment_value
        and days.period_start = rows_by_day.day_start

),

by_weekday as (

    select
        segment_column,
        segment_value,
        day_of_week,
        count(*) as day_count,
        sum(row_count) as row_count,
        avg({{ model_drift.to_double('row_count') }}) as rows_per_day_mean,
        avg({{ model_drift.to_double('labelled_row_count') }}) as labelled_rows_per_day_mean
    from every_day
    group by segment_column, segment_value, day_of_week

),

final as (

    select
        cast(segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(day_of_week as {{ dbt.type_int() }}) as day_of_week,
        cast({{ model_drift.day_name('day_of_week') }} as {{ dbt.type_string() }}) as day_of_week_name,
        cast(day_count as {{ dbt.type_bigint() }}) as day_count,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(rows_per_day_mean as {{ model_drift.type_double() }}) as rows_per_day_mean,
        cast(labelled_rows_per_day_mean as {{ model_drift.type_double() }}) as labelled_rows_per_day_mean,
        cast(
            case
                when avg(rows_per_day_mean) over (partition by segment_column, segment_value) > 0
                then rows_per_day_mean / avg(rows_per_day_mean) over (partition by segment_column, segment_value)
            end as {{ model_drift.type_double() }}
        ) as rows_index_vs_average_day
    from by_weekday

)

select * from final
