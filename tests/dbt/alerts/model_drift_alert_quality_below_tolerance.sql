{#- Alert (var model_drift_alerts: quality_below_tolerance): the production
    model's quality (var model_drift_metric, else the task's default) in the
    latest period with enough labels is worse than its own fresh quality -
    the mean over its first var model_drift_decay_fresh_periods such periods -
    by more than var model_drift_tolerance (relative: a fraction of the fresh
    quality). Overall slice, the model version that scored the latest period. -#}
{%- set s = model_drift.settings() -%}
{{ config(enabled=('quality_below_tolerance' in s.alerts), severity=s.alert_severity) }}
{%- set task = model_drift.staged_task(ref('int_model_drift__observations_cleaned')) -%}
{#- with var model_drift_task unset, the task is known only now: the metric must be one of its own -#}
{%- if execute and 'quality_below_tolerance' in s.alerts and s.task is none -%}
  {%- do model_drift.check_metric_for_task(s.metric, task) -%}
{%- endif -%}
{%- set metric = s.metric or model_drift.decision_metrics()[task][0] -%}
{%- set higher_is_better = metric not in ['log_loss', 'brier', 'mae', 'rmse', 'mape'] -%}
{%- set tolerance = s.tolerance ~ (' * abs(fresh_quality)' if s.tolerance_kind == 'relative' else '') -%}

with quality as (

    select * from {{ ref('model_drift__performance_by_period') }}
    where segment_column = 'all' and metric_name = '{{ metric }}'
      and metric_value is not null and not is_low_label_count

),

production as (

    select model_version from quality order by period_start desc, model_version limit 1

),

ranked as (

    select
        quality.period_start,
        quality.model_version,
        quality.metric_value,
        row_number() over (order by quality.period_start) as life_period,
        row_number() over (order by quality.period_start desc) as periods_from_latest
    from quality
    inner join production on quality.model_version = production.model_version

),

compared as (

    select
        max(model_version) as model_version,
        max(case when periods_from_latest = 1 then period_start end) as latest_period_start,
        max(case when periods_from_latest = 1 then metric_value end) as latest_quality,
        avg(case when life_period <= {{ s.decay_fresh_periods }} then metric_value end) as fresh_quality
    from ranked

)

select
    '{{ metric }}' as metric_name,
    compared.*,
    {{ tolerance }} as tolerance_in_metric_units
from compared
where latest_quality {{ '<' if higher_is_better else '>' }} fresh_quality
    {{ '-' if higher_is_better else '+' }} {{ tolerance }}
