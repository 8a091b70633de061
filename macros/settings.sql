{#- The one place that reads the package's vars. Each value is validated
    here so a bad setting fails the build with the var's name and the fix,
    before any SQL runs. Defaults live in dbt_project.yml, not here. -#}

{% macro settings() %}
  {%- set period = var('model_drift_period') -%}
  {%- set periods = ['hour', 'day', 'week', 'month'] -%}
  {%- if period not in periods -%}
    {{ model_drift.fail("var model_drift_period is '" ~ period ~ "'; use one of " ~ periods | join(', ') ~ ", e.g. --vars '{model_drift_period: week}'") }}
  {%- endif -%}

  {%- set task = var('model_drift_task') -%}
  {%- set tasks = ['binary', 'multiclass', 'regression'] -%}
  {%- if task is not none and task not in tasks -%}
    {{ model_drift.fail("var model_drift_task is '" ~ task ~ "'; use one of " ~ tasks | join(', ') ~ ", or leave it unset (null) to infer it from the target column") }}
  {%- endif -%}

  {%- set needed = var('model_drift_labelled_rows_needed') -%}
  {%- if needed is not number or needed < 1 or needed != needed | int -%}
    {{ model_drift.fail("var model_drift_labelled_rows_needed is '" ~ needed ~ "'; it must be a whole number of rows >= 1, e.g. 10000") }}
  {%- endif -%}

  {%- set recent = var('model_drift_arrival_recent_periods') -%}
  {%- if recent is not number or recent < 1 or recent != recent | int -%}
    {{ model_drift.fail("var model_drift_arrival_recent_periods is '" ~ recent ~ "'; it must be a whole number of periods >= 1, e.g. 28") }}
  {%- endif -%}

  {%- set severity = var('model_drift_input_check_severity') | lower -%}
  {%- if severity not in ['warn', 'error'] -%}
    {{ model_drift.fail("var model_drift_input_check_severity is '" ~ severity ~ "'; use warn or error") }}
  {%- endif -%}

  {%- set timezone = var('model_drift_timezone') -%}
  {%- if timezone is not string or timezone | length == 0 or "'" in timezone -%}
    {{ model_drift.fail("var model_drift_timezone is '" ~ timezone ~ "'; give an IANA time zone name such as UTC or America/New_York") }}
  {%- endif -%}

  {%- set as_of = var('model_drift_as_of') -%}
  {%- if as_of is not none and (as_of is not string or not modules.re.match('^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$', as_of)) -%}
    {{ model_drift.fail("var model_drift_as_of is '" ~ as_of ~ "'; give a wall-clock time 'YYYY-MM-DD HH:MM:SS' in model_drift_timezone, or null for the run's clock") }}
  {%- endif -%}

  {%- set roles = {
      'event_at': model_drift.column_var('model_drift_event_at', required=true),
      'target': model_drift.column_var('model_drift_target'),
      'label_at': model_drift.column_var('model_drift_label_at'),
      'prediction': model_drift.column_var('model_drift_prediction'),
      'model_version': model_drift.column_var('model_drift_model_version'),
      'observation_id': model_drift.column_var('model_drift_id'),
  } -%}

  {%- do return({
      'input_path': var('model_drift_input_path'),
      'input_schema': var('model_drift_input_schema'),
      'input_table': var('model_drift_input_table'),
      'roles': roles,
      'features': model_drift.column_list_var('model_drift_features', allow_null=true),
      'segments': model_drift.column_list_var('model_drift_segments'),
      'task': task,
      'positive_class': var('model_drift_positive_class'),
      'period': period,
      'period_hours': {'hour': 1, 'day': 24, 'week': 168, 'month': 730.485}[period],
      'timezone': timezone,
      'as_of': as_of,
      'labelled_rows_needed': needed | int,
      'arrival_recent_periods': recent | int,
      'input_check_severity': severity,
  }) -%}
{% endmacro %}


{% macro column_var(name, required=false) %}
  {%- set value = var(name) -%}
  {%- if value is none or (value is string and value | trim == '') -%}
    {%- if required -%}
      {{ model_drift.fail("var " ~ name ~ " is not set; give the name of the input column that holds this role") }}
    {%- endif -%}
    {%- do return(none) -%}
  {%- endif -%}
  {%- if value is not string -%}
    {{ model_drift.fail("var " ~ name ~ " must be one column name (a string), got " ~ value) }}
  {%- endif -%}
  {%- do return(value | trim) -%}
{% endmacro %}


{% macro column_list_var(name, allow_null=false) %}
  {%- set value = var(name) -%}
  {%- if value is none -%}
    {%- if allow_null -%}{%- do return(none) -%}{%- endif -%}
    {%- do return([]) -%}
  {%- endif -%}
  {%- if value is string -%}{%- set value = [value] -%}{%- endif -%}
  {%- if value is mapping or value is not iterable -%}
    {{ model_drift.fail("var " ~ name ~ " must be a list of column names, e.g. --vars '{" ~ name ~ ": [origin, carrier]}'") }}
  {%- endif -%}
  {%- for item in value -%}
    {%- if item is not string or item | trim == '' -%}
      {{ model_drift.fail("var " ~ name ~ " must list column names as strings; got " ~ item) }}
    {%- endif -%}
  {%- endfor -%}
  {%- do return(value | map('trim') | list) -%}
{% endmacro %}


{% macro fail(message) %}
  {{ exceptions.raise_compiler_error("model_drift: " ~ message) }}
{% endmacro %}
