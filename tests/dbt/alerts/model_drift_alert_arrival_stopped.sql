{#- Alert (var model_drift_alerts: arrival_stopped): no row, or no label,
    arrived for more than var model_drift_alert_silent_periods whole periods
    before "now" (var model_drift_as_of, else the run's clock). A label's
    arrival is its label time, or its event time when there is none. -#}
{%- set s = model_drift.settings() -%}
{{ config(enabled=('arrival_stopped' in s.alerts), severity=s.alert_severity) }}

with observations as (

    select * from {{ ref('int_model_drift__observations_cleaned') }}

),

last_seen as (

    select 'rows' as stream, max(event_at) as last_arrival_at from observations
    {% if s.roles.target is not none -%}
    union all
    select 'labels' as stream, max(coalesce(label_at, event_at)) as last_arrival_at from observations where is_labelled
    {%- endif %}

),

silence as (

    select
        stream,
        last_arrival_at,
        {{ model_drift.now_wall_clock() }} as as_of,
        {{ model_drift.hours_between('last_arrival_at', model_drift.now_wall_clock()) }} / {{ s.period_hours }} as silent_periods
    from last_seen

)

select *, {{ s.alert_silent_periods }} as allowed_silent_periods
from silence
where last_arrival_at is null or silent_periods > {{ s.alert_silent_periods }}
