{#- One typed row per input row, every role under its standard name. Rows are
    not filtered here: int_model_drift__observations_cleaned applies the
    documented handling of rows, and model_drift__input_checks counts what
    both did. Values are: inf, -inf and NaN in a feature, target or
    prediction become null, and so does a binary prediction outside [0, 1].
    In this file Jinja blocks indent what they hold; the line below tells
    the SQL linter so (.sqlfluff: elsewhere they do not).
-- sqlfluff:indentation:template_blocks_indent:true
-#}
{%- set s = model_drift.settings() -%}
{%- set plan = model_drift.input_plan() -%}
{%- set roles = plan.roles -%}
{%- set columns = [] -%}
{%- if execute -%}
    {%- do columns.append(model_drift.to_wall_clock(
        model_drift.quote_name(roles.event_at.name), roles.event_at.family, s.timezone) ~ ' as event_at') -%}
    {%- if 'label_at' in roles -%}
        {%- do columns.append(model_drift.to_wall_clock(
            model_drift.quote_name(roles.label_at.name), roles.label_at.family, s.timezone) ~ ' as label_at') -%}
    {%- else -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_timestamp() ~ ') as label_at') -%}
    {%- endif -%}
    {%- do columns.append(model_drift.target_expression(plan) ~ ' as target') -%}
    {%- if 'prediction' not in roles -%}
        {%- do columns.append('cast(null as ' ~ model_drift.type_double() ~ ') as prediction') -%}
    {%- elif roles.prediction.family == 'string' or plan.task == 'multiclass' -%}
        {%- do columns.append('cast(' ~ model_drift.quote_name(roles.prediction.name)
            ~ ' as ' ~ dbt.type_string() ~ ') as prediction') -%}
    {%- else -%}
        {%- set score = 'cast(' ~ model_drift.quote_name(roles.prediction.name)
            ~ ' as ' ~ model_drift.type_double() ~ ')' -%}
        {%- if plan.task == 'binary' -%}
            {#- a binary prediction is a probability (or 0/1): anything else is not scored -#}
            {%- do columns.append(
                'case when ' ~ score ~ ' >= 0 and ' ~ score ~ ' <= 1 then ' ~ score ~ ' end as prediction') -%}
        {%- else -%}
            {%- do columns.append(model_drift.finite_or_null(score) ~ ' as prediction') -%}
        {%- endif -%}
    {%- endif -%}
    {%- for role in ['model_version', 'observation_id'] -%}
        {%- set expression = model_drift.quote_name(roles[role].name) if role in roles else 'null' -%}
        {%- do columns.append('cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ') as ' ~ role) -%}
    {%- endfor -%}
    {%- for column_name in plan.segments -%}
        {%- do columns.append('cast(' ~ model_drift.quote_name(column_name) ~ ' as ' ~ dbt.type_string() ~ ') as '
            ~ model_drift.quote_name(column_name)) -%}
    {%- endfor -%}
    {%- for column_name in plan.features if column_name not in plan.segments -%}
        {%- set quoted = model_drift.quote_name(column_name) -%}
        {%- do columns.append(
            model_drift.finite_or_null(quoted) ~ ' as ' ~ quoted if column_name in plan.float_features else quoted) -%}
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
