{#- One row per input check: how many rows it found and what was done about
    them. The handling itself is in int_model_drift__observations_cleaned. -#}
{%- set s = model_drift.settings() -%}
{%- set now = model_drift.now_wall_clock() -%}
{%- set has_label_at = s.roles.label_at is not none -%}
{%- set has_id = s.roles.observation_id is not none -%}
{#- Value checks read the input's own columns: staging makes these values null. -#}
{%- set plan = model_drift.input_plan() -%}
{%- set target_role = plan.roles.get('target') -%}
{%- set prediction_role = plan.roles.get('prediction') -%}
{%- set not_finite = {} -%}
{%- for name in plan.float_features + [target_role.name if target_role and target_role.family == 'float' else none,
                                       prediction_role.name if prediction_role and prediction_role.family == 'float' else none] if name -%}
{%- set quoted = model_drift.quote_name(name) -%}
{%- do not_finite.update({name: '(' ~ quoted ~ ' is not null and '
    ~ model_drift.finite_or_null(quoted) ~ ' is null)'}) -%}
{%- endfor -%}
{%- set binary_score = prediction_role is not none and plan.task == 'binary'
    and prediction_role.family in ['integer', 'float'] -%}
{%- set score = model_drift.finite_or_null(model_drift.quote_name(prediction_role.name)) if binary_score else none -%}
{%- set feature_names = [] -%}
{%- set feature_conditions = [] -%}
{%- for name in plan.float_features -%}
{%- do feature_conditions.append(not_finite[name]) -%}
{%- do feature_names.append("case when sum(case when " ~ not_finite[name] ~ " then 1 else 0 end) > 0 then "
    ~ model_drift.string_literal(name) ~ " end") -%}
{%- endfor -%}
{%- set value_checks = [
    {'name': 'non_finite_target', 'role': 'target', 'var': 'model_drift_target',
     'applies': target_role is not none and target_role.name in not_finite,
     'condition': not_finite.get(target_role.name if target_role else none),
     'handling': 'target dropped (inf, -inf or NaN): the row counts as unlabelled',
     'fix': 'write null instead of inf or NaN where the label is unknown, or fix the computation that produced it'},
    {'name': 'non_finite_prediction', 'role': 'prediction', 'var': 'model_drift_prediction',
     'applies': prediction_role is not none and prediction_role.name in not_finite,
     'condition': not_finite.get(prediction_role.name if prediction_role else none),
     'handling': 'prediction ignored (inf, -inf or NaN): the row is not scored',
     'fix': 'write null where the model gave no prediction, or fix the scoring code'},
    {'name': 'prediction_out_of_range', 'role': 'prediction', 'var': 'model_drift_prediction', 'applies': binary_score,
     'condition': '(' ~ score ~ ' < 0 or ' ~ score ~ ' > 1)' if binary_score else none,
     'handling': 'prediction ignored: a binary prediction is the probability of the positive class (or 0/1), in [0, 1]',
     'fix': 'point model_drift_prediction at the probability (apply the sigmoid to raw margins); set model_drift_input_check_severity to error to make this fatal'},
    {'name': 'non_finite_feature', 'role': 'features', 'var': 'model_drift_features', 'applies': plan.float_features | length > 0,
     'condition': '(' ~ feature_conditions | join(' or ') ~ ')',
     'column': 'features_found',
     'handling': 'value treated as missing (null): drift statistics skip it, the backtest treats it as missing',
     'fix': 'write null instead of inf or NaN where the value is unknown'},
] -%}
{%- set multiclass_prediction = prediction_role is not none and plan.task == 'multiclass' -%}
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

unknown_classes as (

    select count(*) as unknown_predicted_class
    from observations
    {% if multiclass_prediction -%}
    where prediction is not null
        and prediction not in (select target from observations where target is not null)
    {%- else -%}
    where 1 = 0
    {%- endif %}

),

raw_counted as (

    {#- an aggregate even when no value check applies: one row, not one per input row -#}
    select
        count(*) as raw_row_count,
        {% for check in value_checks -%}
        {% if check.applies -%}
        sum(case when {{ check.condition }} then 1 else 0 end)
        {%- else -%}
        0
        {%- endif %} as {{ check.name }},
        {% endfor -%}
        {% if feature_names -%}
        concat_ws(', ', {{ feature_names | join(', ') }})
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as features_found
    from {{ model_drift.input_relation() }}

),

counted_all as (

    {#- three one-row tables side by side -#}
    select * from counted cross join unknown_classes cross join raw_counted  -- noqa: RF02

),

checks as (

    {% for check in checks + value_checks + [
        {'name': 'unknown_predicted_class', 'role': 'prediction', 'var': 'model_drift_prediction', 'applies': multiclass_prediction,
         'handling': 'kept: scored as a wrong prediction (the class counts in macro and weighted F1 as in scikit-learn)',
         'fix': 'check that predictions and targets spell the classes the same way'},
        {'name': 'duplicate_id', 'role': 'observation_id', 'var': 'model_drift_id', 'applies': has_id,
         'handling': 'one row kept per id: the one with the latest label time, then the latest event time',
         'fix': 'deduplicate the input, or point model_drift_id at a column that is unique'}] -%}
    select
        {{ loop.index }} as check_order,
        '{{ check.name }}' as check_name,
        '{{ check.var }}' as var_name,
        {{ check.column if 'column' in check
            else model_drift.string_literal(s.roles[check.role]) if check.applies else 'null' }} as column_name,
        input_row_count,
        {{ check.name if check.applies else '0' }} as rows_affected,
        {{ 'true' if check.applies else 'false' }} as is_applicable,
        '{{ check.handling }}' as handling,
        '{{ check.fix }}' as fix
    from counted_all
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
        cast(
            case
                when input_row_count > 0
                then {{ model_drift.to_double('coalesce(rows_affected, 0)') }} / input_row_count
            end as {{ model_drift.type_double() }}
        ) as share_of_rows_affected,
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
