{#- Alert (var model_drift_alerts: stale_model): the production model - the
    version that scored the latest row - is older, at "now" (var
    model_drift_as_of, else the run's clock), than the retraining interval
    model_drift__retraining_recommendations recommends (Q5). Needs the
    model versions (vars model_drift_model_version and
    model_drift_model_versions_*); silent when Q5 recommends no schedule. -#}
{%- set s = model_drift.settings() -%}
{%- set wanted = 'stale_model' in s.alerts -%}
{%- if wanted and (s.roles.model_version is none or not model_drift.is_configured('model_versions')) -%}
  {{ model_drift.fail("var model_drift_alerts lists stale_model, which needs var model_drift_model_version and the model versions (var model_drift_model_versions_path, or model_drift_model_versions_schema and _table)") }}
{%- endif -%}
{{ config(enabled=(wanted and target.type in model_drift.python_model_engines()), severity=s.alert_severity) }}

with production as (

    select model_version from {{ ref('int_model_drift__observations_cleaned') }}
    where model_version is not null
    order by event_at desc
    limit 1

),

recommended as (

    select value as retrain_every_periods
    from {{ ref('model_drift__retraining_recommendations') }}
    where question_number = 5 and value is not null

),

aged as (

    select
        production.model_version,
        versions.trained_at,
        {{ model_drift.now_wall_clock() }} as as_of,
        {{ model_drift.hours_between('versions.trained_at', model_drift.now_wall_clock()) }} / {{ s.period_hours }} as model_age_periods
    from production
    inner join {{ ref('stg_model_drift__model_versions') }} as versions
        on production.model_version = versions.model_version

)

select aged.*, recommended.retrain_every_periods
from aged
cross join recommended
where aged.model_age_periods > recommended.retrain_every_periods
