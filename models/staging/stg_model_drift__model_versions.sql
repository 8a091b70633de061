{#- The production model versions and when each was trained, typed: one row
    per version. Empty (but typed) when no model-versions input is set, so
    model_drift__decay_by_model_age is empty rather than missing.
    In this file Jinja blocks indent what they hold; the line below tells
    the SQL linter so (.sqlfluff: elsewhere they do not).
-- sqlfluff:indentation:template_blocks_indent:true
-#}
{%- set s = model_drift.settings() -%}
{%- set configured = model_drift.is_configured('model_versions') -%}
{%- set version_expression, trained_at_expression = 'null', 'null' -%}
{%- if configured and execute -%}
    {%- set columns = {} -%}
    {%- for c in model_drift.input_columns('model_versions') -%}
        {%- do columns.update({c.name | lower: c}) -%}
    {%- endfor -%}
    {%- for var_name, column_name in [('model_drift_model_versions_version_column', s.model_versions_version_column),
                                      ('model_drift_model_versions_trained_at_column', s.model_versions_trained_at_column)] -%}
        {%- if column_name | lower not in columns -%}
            {{ model_drift.fail("var " ~ var_name ~ " names column '" ~ column_name ~ "', which is not in the model versions input. Columns available: " ~ columns.values() | map(attribute='name') | join(', ')) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set trained_at = columns[s.model_versions_trained_at_column | lower] -%}
    {%- set family = model_drift.type_family(trained_at.data_type) -%}
    {%- if family not in ['timestamp_tz', 'timestamp', 'date'] -%}
        {{ model_drift.fail("column '" ~ trained_at.name ~ "' (var model_drift_model_versions_trained_at_column) has type " ~ trained_at.data_type ~ "; it must be a timestamp or a date") }}
    {%- endif -%}
    {%- set version_expression = model_drift.quote_name(columns[s.model_versions_version_column | lower].name) -%}
    {%- set trained_at_expression = model_drift.to_wall_clock(
        model_drift.quote_name(trained_at.name), family, s.timezone) -%}
{%- endif -%}

with versions as (

    {% if configured -%}
        select * from {{ model_drift.input_relation('model_versions') }}
    {%- else -%}
        select 1 as no_versions_configured where 1 = 0
    {%- endif %}

),

final as (

    select
        cast({{ version_expression }} as {{ dbt.type_string() }}) as model_version,
        cast({{ trained_at_expression }} as {{ dbt.type_timestamp() }}) as trained_at
    from versions

)

select * from final
