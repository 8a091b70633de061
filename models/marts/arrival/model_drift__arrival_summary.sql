{#- Q2, the answer: one row per slice (overall, and each segment value) that
    says how often rows and labels arrive, in numbers and in words. -#}
{%- set s = model_drift.settings() -%}
{%- set unit = s.period -%}
{%- set has_label_at = s.roles.label_at is not none -%}
{%- set fmt = model_drift.format_number -%}

{#- The plain-words answer, assembled from SQL pieces. A piece built on a
    value that can be null is wrapped in coalesce(..., '') so one unknown
    number drops its clause instead of nulling the sentence. -#}
{%- set q = "'" -%}
{%- set answer_parts = [
    fmt('rows_per_period_mean', 1),
    q ~ ' rows arrive per ' ~ unit ~ ' on average' ~ q,
    "coalesce(' (trend ' || case when row_count_trend_per_period >= 0 then '+' else '' end || "
        ~ fmt('100.0 * row_count_trend_per_period / nullif(rows_per_period_mean, 0)', 2)
        ~ " || '% per " ~ unit ~ ")', '')",
    "'; '", fmt('gap_period_count', 0), "' of '", fmt('period_count', 0),
    q ~ ' ' ~ unit ~ 's had no rows' ~ q,
    "case when longest_gap_periods > 0 then ' (longest gap: ' || " ~ fmt('longest_gap_periods', 0)
        ~ " || ' " ~ unit ~ "s)' else '' end",
    "'. '", fmt('100.0 * labelled_row_count / nullif(row_count, 0)', 1), "'% of rows have a label'",
    "coalesce('; labels arrive ' || " ~ fmt('label_delay_hours_p50', 1)
        ~ " || ' h after the event at the median, ' || " ~ fmt('label_delay_hours_p90', 1)
        ~ " || ' h at p90 and ' || " ~ fmt('label_delay_hours_p99', 1) ~ " || ' h at p99', '')",
    "'. '",
    "coalesce('At the recent rate of ' || " ~ fmt('labels_per_period_recent', 0)
        ~ " || ' new labels per " ~ unit ~ ", ' || " ~ fmt(s.labelled_rows_needed, 0) ~ " || ' new labelled rows take ' || "
        ~ fmt('periods_to_labelled_rows_needed', 1) ~ " || ' " ~ unit ~ "s'"
        ~ ("" if unit == 'day' else " || ' (' || " ~ fmt('periods_to_labelled_rows_needed * ' ~ s.period_hours ~ ' / 24.0', 1) ~ " || ' days)'")
        ~ " || '.', 'No labels arrived in the last " ~ s.arrival_recent_periods ~ " " ~ unit
        ~ "s, so " ~ s.labelled_rows_needed ~ " new labelled rows cannot be promised.')",
    "coalesce(' Busiest weekday: ' || busiest_day_of_week || ', ' || " ~ fmt('day_of_week_peak_to_trough_ratio', 2)
        ~ " || 'x the quietest (' || quietest_day_of_week || ').', '')",
] -%}

with periods as (

    select * from {{ ref('model_drift__arrival_by_period') }}

),

observations as (

    select * from {{ ref('int_model_drift__observations_segmented') }}

),

weekdays as (

    select * from {{ ref('model_drift__arrival_by_day_of_week') }}

),

period_stats as (

    select
        segment_column,
        segment_value,
        count(*) as period_count,
        sum(case when is_gap then 0 else 1 end) as periods_with_rows,
        sum(case when is_gap then 1 else 0 end) as gap_period_count,
        sum(row_count) as row_count,
        sum(labelled_row_count) as labelled_row_count,
        avg({{ model_drift.to_double('row_count') }}) as rows_per_period_mean,
        {{ model_drift.percentile_cont('row_count', 0.5) }} as rows_per_period_median,
        avg({{ model_drift.to_double('labelled_row_count') }}) as labelled_rows_per_period_mean,
        {#- least-squares slope of rows on the period number: rows gained or lost per period -#}
        case when count(*) >= 2 then regr_slope(row_count, period_number) end as row_count_trend_per_period,
        max(period_number) as last_period_number
    from periods
    group by segment_column, segment_value

),

recent as (

    select
        periods.segment_column,
        periods.segment_value,
        count(*) as recent_period_count,
        avg({{ model_drift.to_double(
            'periods.labels_received_count' if has_label_at else 'periods.labelled_row_count'
        ) }}) as labels_per_period_recent
    from periods
    inner join period_stats
        on periods.segment_column = period_stats.segment_column
        and periods.segment_value = period_stats.segment_value
    where periods.period_number > period_stats.last_period_number - {{ s.arrival_recent_periods }}
    group by periods.segment_column, periods.segment_value

),

gap_runs as (

    {#- consecutive empty periods share (period_number - their rank among empty periods) -#}
    select
        segment_column,
        segment_value,
        period_number - row_number() over (
            partition by segment_column, segment_value order by period_number
        ) as run_key
    from periods
    where is_gap

),

longest_gaps as (

    select segment_column, segment_value, max(run_length) as longest_gap_periods
    from (
        select segment_column, segment_value, run_key, count(*) as run_length
        from gap_runs
        group by segment_column, segment_value, run_key
    ) as runs
    group by segment_column, segment_value

),

delays as (

    select
        segment_column,
        segment_value,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        {% for percentile in model_drift.percentiles_cont('label_delay_hours', [0.5, 0.9, 0.99]) -%}
        {{ percentile }} as label_delay_hours_p{{ [50, 90, 99][loop.index0] }},
        {% endfor -%}
        max(label_delay_hours) as label_delay_hours_max
    from observations
    group by segment_column, segment_value

),

weekday_extremes as (

    select
        segment_column,
        segment_value,
        max(case when busiest_rank = 1 then day_of_week_name end) as busiest_day_of_week,
        max(case when quietest_rank = 1 then day_of_week_name end) as quietest_day_of_week,
        max(rows_per_day_mean) as busiest_rows_per_day,
        min(rows_per_day_mean) as quietest_rows_per_day
    from (
        select
            *,
            row_number() over (
                partition by segment_column, segment_value order by rows_per_day_mean desc, day_of_week
            ) as busiest_rank,
            row_number() over (
                partition by segment_column, segment_value order by rows_per_day_mean asc, day_of_week
            ) as quietest_rank
        from weekdays
    ) as ranked
    group by segment_column, segment_value

),

joined as (

    select
        period_stats.*,
        coalesce(longest_gaps.longest_gap_periods, 0) as longest_gap_periods,
        delays.first_event_at,
        delays.last_event_at,
        delays.label_delay_hours_p50,
        delays.label_delay_hours_p90,
        delays.label_delay_hours_p99,
        delays.label_delay_hours_max,
        recent.recent_period_count,
        recent.labels_per_period_recent,
        weekday_extremes.busiest_day_of_week,
        weekday_extremes.quietest_day_of_week,
        case
            when weekday_extremes.quietest_rows_per_day > 0
            then weekday_extremes.busiest_rows_per_day / weekday_extremes.quietest_rows_per_day
        end as day_of_week_peak_to_trough_ratio,
        case
            when recent.labels_per_period_recent > 0
            then {{ s.labelled_rows_needed }} / recent.labels_per_period_recent
        end as periods_to_labelled_rows_needed
    from period_stats
    left join longest_gaps
        on period_stats.segment_column = longest_gaps.segment_column
        and period_stats.segment_value = longest_gaps.segment_value
    left join delays
        on period_stats.segment_column = delays.segment_column
        and period_stats.segment_value = delays.segment_value
    left join recent
        on period_stats.segment_column = recent.segment_column
        and period_stats.segment_value = recent.segment_value
    left join weekday_extremes
        on period_stats.segment_column = weekday_extremes.segment_column
        and period_stats.segment_value = weekday_extremes.segment_value

),

final as (

    select
        cast(segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast({{ s.period_hours }} as {{ model_drift.type_double() }}) as period_hours,
        cast(first_event_at as {{ dbt.type_timestamp() }}) as first_event_at,
        cast(last_event_at as {{ dbt.type_timestamp() }}) as last_event_at,
        cast(period_count as {{ dbt.type_bigint() }}) as period_count,
        cast(periods_with_rows as {{ dbt.type_bigint() }}) as periods_with_rows,
        cast(gap_period_count as {{ dbt.type_bigint() }}) as gap_period_count,
        cast(longest_gap_periods as {{ dbt.type_bigint() }}) as longest_gap_periods,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(labelled_row_count as {{ dbt.type_bigint() }}) as labelled_row_count,
        cast(
            case
                when row_count > 0
                then {{ model_drift.to_double('labelled_row_count') }} / row_count
            end as {{ model_drift.type_double() }}
        ) as label_coverage,
        cast(rows_per_period_mean as {{ model_drift.type_double() }}) as rows_per_period_mean,
        cast(rows_per_period_median as {{ model_drift.type_double() }}) as rows_per_period_median,
        cast(labelled_rows_per_period_mean as {{ model_drift.type_double() }}) as labelled_rows_per_period_mean,
        cast(row_count_trend_per_period as {{ model_drift.type_double() }}) as row_count_trend_per_period,
        cast(
            case
                when rows_per_period_mean > 0
                then 100.0 * row_count_trend_per_period / rows_per_period_mean
            end as {{ model_drift.type_double() }}
        ) as row_count_trend_pct_per_period,
        cast(label_delay_hours_p50 as {{ model_drift.type_double() }}) as label_delay_hours_p50,
        cast(label_delay_hours_p90 as {{ model_drift.type_double() }}) as label_delay_hours_p90,
        cast(label_delay_hours_p99 as {{ model_drift.type_double() }}) as label_delay_hours_p99,
        cast(label_delay_hours_max as {{ model_drift.type_double() }}) as label_delay_hours_max,
        cast(busiest_day_of_week as {{ dbt.type_string() }}) as busiest_day_of_week,
        cast(quietest_day_of_week as {{ dbt.type_string() }}) as quietest_day_of_week,
        cast(day_of_week_peak_to_trough_ratio as {{ model_drift.type_double() }}) as day_of_week_peak_to_trough_ratio,
        cast(recent_period_count as {{ dbt.type_bigint() }}) as recent_period_count,
        cast('{{ "label_at" if has_label_at else "event_at" }}' as {{ dbt.type_string() }}) as recent_label_rate_basis,
        cast(labels_per_period_recent as {{ model_drift.type_double() }}) as labels_per_period_recent,
        cast({{ s.labelled_rows_needed }} as {{ dbt.type_bigint() }}) as labelled_rows_needed,
        cast(periods_to_labelled_rows_needed as {{ model_drift.type_double() }}) as periods_to_labelled_rows_needed,
        cast(
            periods_to_labelled_rows_needed * {{ s.period_hours }} as {{ model_drift.type_double() }}
        ) as hours_to_labelled_rows_needed,
        cast({{ dbt.concat(answer_parts) }} as {{ dbt.type_string() }}) as answer
    from joined

)

select * from final
