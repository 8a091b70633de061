{#- One row per input check: how many rows it found and what was done about
    them. The handling itself is in int_model_drift__observations_cleaned. -#}
{%- set s = model_drift.settings() -%}
{%- set now = model_drift.now_wall_clock() -%}
{%- set has_label_at = s.roles.label_at is not none -%}
{%- set has_id = s.roles.observation_id is not none -%}
{%- set checks = [
    {'name': 'null_event_at', 'role': 'event_at', 'var': 'model_drift_event_at', 'applies': true,
     'condition': 'event_at is null',
     'handling': 'row dropped: it cannot be placed in a period',
     'fix': 'fill the event time, or filter these rows out in a view over the input'},
    {'name': 'future_event_at', 'role': 'event_at', 'var': 'model_drift_event_at', 'applies': true,
     'condition': 'event_at > ' ~ now,
     'handling': 'row dropped: its event time is after now (model_drift_as_of or the run clock)',
     'fix': 'check the time zone (model_drift_timezone) and the clock of the system that writes event times'},
    {'name': 'label_before_event', 'role': 'label_at', 'var': 'model_drift_label_at', 'applies': has_label_at,
     'condition': 'label_at < event_at',
     'handling': 'label time ignored (delay unknown); the target is kept',
     'fix': 'check that event and label times use the same time zone'},
    {'name': 'future_label_at', 'role': 'label_at', 'var': 'model_drift_label_at', 'applies': has_label_at,
     'condition': 'event_at <= ' ~ now ~ ' and label_at > ' ~ now,
     'handling': 'the label was not known yet: target and label time dropped, the row counts as unlabelled',
     'fix': 'check the time zone (model_drift_timezone), or set model_drift_as_of'},
    {'name': 'label_at_without_target', 'role': 'label_at', 'var': 'model_drift_label_at', 'applies': has_label_at,
     'condition': 'label_at is not null and target is null',
     'handling': 'label time ignored: there is no label',
     'fix': 'fill the target where a label time is set, or clear the label time'},
    {'name': 'target_without_label_at', 'role': 'label_at', 'var': 'model_drift_label_at', 'applies': has_label_at,
     'condition': 'target is not null and label_at is null',
     'handling': 'kept as labelled; its label delay is unknown',
     'fix': 'fill the label time so label delay is measured'},
    {'name': 'null_id', 'role': 'observation_id', 'var': 'model_drift_id', 'applies': has_id,
     'condition': 'observation_id is null',
     'handling': 'kept; rows without an id are never treated as duplicates',
     'fix': 'fill the id column'},
] -%}

with observations as (

    select * from {{ ref('stg_model_drift__observations') }}

),

counted as (

    select
        count(*) as input_row_count,
        {% for check in checks if check.applies -%}
        sum(case when {{ check.condition }} then 1 else 0 end) as {{ check.name }},
        {% endfor -%}
        {% if has_id -%}
        count(case when event_at is not null and event_at <= {{ now }} then observation_id end)
            - count(distinct case when event_at is not null and event_at <= {{ now }} then observation_id end)
        {%- else -%}
        0
        {%- endif %} as duplicate_id
    from observations

),

checks as (

    {% for check in checks + [
        {'name': 'duplicate_id', 'role': 'observation_id', 'var': 'model_drift_id', 'applies': has_id,
         'handling': 'one row kept per id: the one with the latest label time, then the latest event time',
         'fix': 'deduplicate the input, or point model_drift_id at a column that is unique'}] -%}
    select
        {{ loop.index }} as check_order,
        '{{ check.name }}' as check_name,
        '{{ check.var }}' as var_name,
        {{ "'" ~ s.roles[check.role] ~ "'" if check.applies else 'null' }} as column_name,
        input_row_count,
        {{ check.name if check.applies else '0' }} as rows_affected,
        {{ 'true' if check.applies else 'false' }} as is_applicable,
        '{{ check.handling }}' as handling,
        '{{ check.fix }}' as fix
    from counted
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        check_name,
        check_order,
        var_name,
        cast(column_name as {{ dbt.type_string() }}) as column_name,
        cast(input_row_count as {{ dbt.type_bigint() }}) as input_row_count,
        cast(coalesce(rows_affected, 0) as {{ dbt.type_bigint() }}) as rows_affected,
        cast(case when input_row_count > 0 then {{ model_drift.to_double('coalesce(rows_affected, 0)') }} / input_row_count end as {{ model_drift.type_double() }}) as share_of_rows_affected,
        is_applicable,
        case
            when not is_applicable then 'not applicable'
            when coalesce(rows_affected, 0) = 0 then 'ok'
            else 'warn'
        end as status,
        handling,
        fix
    from checks

)

select * from final
