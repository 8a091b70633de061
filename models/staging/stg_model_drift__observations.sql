{#- One typed row per input row, every role under its standard name. Rows are
    not filtered here: int_model_drift__observations_cleaned applies the
    documented handling, and model_drift__input_checks counts what it did. -#}
{%- set s = model_drift.settings() -%}
{%- set plan = model_drift.input_plan() -%}
{%- set roles = plan.roles -%}
{%- set columns = [] -%}
{%- if execute -%}
    {%- do columns.append(model_drift.to_wall_clock(adapter.quote(roles.event_at.name), roles.event_at.family, s.timezone) ~ ' as event_at') -%}
    {%- if 'label_at' in roles -%}
        {%- do columns.append(model_drift.to_wall_clock(adapter.quote(roles.label_at.name), roles.label_at.family, s.timezone) ~ ' as label_at') -%}
    {%- else -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_timestamp() ~ ') as label_at') -%}
    {%- endif -%}
    {%- do columns.append(model_drift.target_expression(plan) ~ ' as target') -%}
    {%- if 'prediction' not in roles -%}
        {%- do columns.append('cast(null as ' ~ model_drift.type_double() ~ ') as prediction') -%}
    {%- elif roles.prediction.family == 'string' or plan.task == 'multiclass' -%}
        {%- do columns.append('cast(' ~ adapter.quote(roles.prediction.name) ~ ' as ' ~ dbt.type_string() ~ ') as prediction') -%}
    {%- else -%}
        {%- do columns.append('cast(' ~ adapter.quote(roles.prediction.name) ~ ' as ' ~ model_drift.type_double() ~ ') as prediction') -%}
    {%- endif -%}
    {%- for role in ['model_version', 'observation_id'] -%}
        {%- set expression = adapter.quote(roles[role].name) if role in roles else 'null' -%}
        {%- do columns.append('cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ') as ' ~ role) -%}
    {%- endfor -%}
    {%- for column_name in plan.segments -%}
        {%- do columns.append('cast(' ~ adapter.quote(column_name) ~ ' as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote(column_name)) -%}
    {%- endfor -%}
    {%- for column_name in plan.features if column_name not in plan.segments -%}
        {%- do columns.append(adapter.quote(column_name)) -%}
    {%- endfor -%}
{%- else -%}
    {%- do columns.append('*') -%}
{%- endif -%}

with source_rows as (

    select * from {{ model_drift.input_relation() }}

),

typed as (

    select
        {{ columns | join(',\n        ') }}
    from source_rows

)

select * from typed
