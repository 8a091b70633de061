{#- Alert (var model_drift_alerts: feature_drift): a feature's PSI in the
    latest period with drift figures is above var model_drift_alert_max_psi.
    One row per drifting feature, overall slice. -#}
{%- set s = model_drift.settings() -%}
{{ config(enabled=('feature_drift' in s.alerts), severity=s.alert_severity) }}

with drift as (

    select * from {{ ref('model_drift__feature_drift_by_period') }}
    where segment_column = 'all' and feature_role = 'feature' and psi is not null

),

latest as (

    select max(period_start) as period_start from drift

)

select
    drift.feature_name,
    drift.period_start,
    drift.psi,
    {{ s.alert_max_psi }} as max_psi
from drift
inner join latest on drift.period_start = latest.period_start
where drift.psi > {{ s.alert_max_psi }}
