{#- The observations every mart reads, after the documented handling of bad
    rows (README, "Bad input"):
    - no event time, or an event time after "now": the row is dropped;
    - a label time before the event time: the label time is ignored;
    - a label time after "now": the label was not known yet, so the target
      and label time are dropped and the row counts as unlabelled;
    - a label time without a target: the label time is ignored;
    - an id seen more than once: one row is kept (latest label time, then
      latest event time).
    model_drift__input_checks counts each case. Incremental (var
    model_drift_incremental): a run re-reads only the events of the periods
    it recomputes, so an id seen again in those periods and once before them
    is kept twice there (input_checks still counts it). -#}
{{ config(**model_drift.incremental_config()) }}
{%- set s = model_drift.settings() -%}
{%- if execute -%}
{%- set kept = run_query("select count(*) from (select 1 from " ~ ref('stg_model_drift__observations')
    ~ " where event_at is not null and event_at <= " ~ model_drift.now_wall_clock()
    ~ " limit 1) as first_row").columns[0].values()[0] -%}
{%- if kept == 0 -%}
    {{ model_drift.fail_no_rows('observations', "every row has a null event time (var model_drift_event_at) or one after now (var model_drift_as_of, or the run's clock in model_drift_timezone), so the input checks dropped them all",
        "point model_drift_event_at at the column that holds each row's event time, or set model_drift_as_of to a time after the events") }}
{%- endif -%}
{%- endif -%}

with observations as (

    select * from {{ ref('stg_model_drift__observations') }}

),

placed_in_time as (

    select *
    from observations
    where event_at is not null
        and event_at <= {{ model_drift.now_wall_clock() }}
        and {{ model_drift.incremental_window('event_at', this) }}

),

labels_checked as (

    select
        *,
        case
            when label_at > {{ model_drift.now_wall_clock() }} then false
            else true
        end as is_label_known_by_now,
        case
            when label_at is null then null
            when label_at < event_at then null
            when label_at > {{ model_drift.now_wall_clock() }} then null
            when target is null then null
            else label_at
        end as label_at_checked
    from placed_in_time

),

deduplicated as (

    select
        *,
        {% if s.roles.observation_id -%}
        case
            when observation_id is null then 1
            else
                row_number() over (
                    partition by observation_id
                    order by label_at_checked desc nulls last, event_at desc
                )
        end as id_rank
        {%- else -%}
        1 as id_rank
        {%- endif %}
    from labels_checked

),

final as (

    select
        {% for column_name in model_drift.staged_columns(ref('stg_model_drift__observations'))
            if column_name not in ['label_at', 'target'] -%}
        {{ model_drift.quote_name(column_name) }},
        {% endfor -%}
        label_at_checked as label_at,
        case when is_label_known_by_now then target end as target,
        {{ dbt.date_trunc(s.period, 'event_at') }} as period_start,
        (is_label_known_by_now and target is not null) as is_labelled,
        {{ model_drift.hours_between('event_at', 'label_at_checked') }} as label_delay_hours
    {{ model_drift.incremental_columns() }}
    from deduplicated
    where id_rank = 1

)

select * from final
