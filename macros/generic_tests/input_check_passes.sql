{#- Fails with the input checks that found rows (see model_drift__input_checks
    for what each one did with them). Severity comes from var
    model_drift_input_check_severity, so a pipeline can make bad input fatal. -#}
{% test input_check_passes(model) %}

{{ config(severity = model_drift.settings().input_check_severity) }}

select check_name, column_name, rows_affected, handling, fix
from {{ model }}
where status = 'warn'

{% endtest %}
