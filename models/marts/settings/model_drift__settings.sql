{#- The settings this build ran with: every model_drift_* var, validated by
    model_drift.settings() (macros/settings.sql), as one JSON object. The
    Python marts read their settings from here (model_drift.settings.read_settings),
    because dbt renders a Python model's YAML config without macros. -#}
select
    cast({{ model_drift.string_literal(model_drift.settings_json()) }} as {{ dbt.type_string() }}) as settings_json
