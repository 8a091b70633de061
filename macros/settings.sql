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

  {%- set threshold = var('model_drift_threshold') -%}
  {%- if threshold is not number or threshold <= 0 or threshold >= 1 -%}
    {{ model_drift.fail("var model_drift_threshold is '" ~ threshold ~ "'; it must be a number strictly between 0 and 1, e.g. 0.5") }}
  {%- endif -%}

  {%- set z_by_level = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004} -%}
  {%- set level = var('model_drift_confidence_level') -%}
  {%- if level not in z_by_level -%}
    {{ model_drift.fail("var model_drift_confidence_level is '" ~ level ~ "'; use 0.90, 0.95 or 0.99") }}
  {%- endif -%}

  {%- set min_labels = var('model_drift_min_labels_per_period') -%}
  {%- if min_labels is not number or min_labels < 1 or min_labels != min_labels | int -%}
    {{ model_drift.fail("var model_drift_min_labels_per_period is '" ~ min_labels ~ "'; it must be a whole number >= 1, e.g. 30") }}
  {%- endif -%}

  {%- set reference = var('model_drift_reference') -%}
  {%- if reference not in ['first', 'dates', 'trailing'] -%}
    {{ model_drift.fail("var model_drift_reference is '" ~ reference ~ "'; use first (the first model_drift_reference_periods periods), dates (model_drift_reference_start to _end) or trailing (the model_drift_reference_periods periods before each period)") }}
  {%- endif -%}
  {%- set reference_periods = var('model_drift_reference_periods') -%}
  {%- if reference_periods is not number or reference_periods < 1 or reference_periods != reference_periods | int -%}
    {{ model_drift.fail("var model_drift_reference_periods is '" ~ reference_periods ~ "'; it must be a whole number of periods >= 1, e.g. 28") }}
  {%- endif -%}
  {%- set reference_start = var('model_drift_reference_start') -%}
  {%- set reference_end = var('model_drift_reference_end') -%}
  {%- if reference == 'dates' -%}
    {%- for name, value in [('model_drift_reference_start', reference_start), ('model_drift_reference_end', reference_end)] -%}
      {%- if value is not string or not modules.re.match('^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$', value) -%}
        {{ model_drift.fail("var model_drift_reference is dates, so var " ~ name ~ " must be a date 'YYYY-MM-DD'; it is '" ~ value ~ "'") }}
      {%- endif -%}
    {%- endfor -%}
    {%- if reference_start >= reference_end -%}
      {{ model_drift.fail("var model_drift_reference_start (" ~ reference_start ~ ") must be before model_drift_reference_end (" ~ reference_end ~ ")") }}
    {%- endif -%}
  {%- endif -%}

  {%- set bins = var('model_drift_drift_bins') -%}
  {%- if bins is not number or bins < 10 or bins > 2000 or bins % 10 != 0 -%}
    {{ model_drift.fail("var model_drift_drift_bins is '" ~ bins ~ "'; it must be a multiple of 10 from 10 to 2000, e.g. 200 (PSI and Jensen-Shannon use the deciles among them)") }}
  {%- endif -%}
  {%- set top_categories = var('model_drift_top_categories') -%}
  {%- if top_categories is not number or top_categories < 1 or top_categories != top_categories | int -%}
    {{ model_drift.fail("var model_drift_top_categories is '" ~ top_categories ~ "'; it must be a whole number >= 1, e.g. 10") }}
  {%- endif -%}

  {%- set known_alerts = ['stale_model', 'quality_below_tolerance', 'arrival_stopped', 'feature_drift'] -%}
  {%- set alerts = var('model_drift_alerts') or [] -%}
  {%- if alerts is string -%}{%- set alerts = [alerts] -%}{%- endif -%}
  {%- for alert in alerts -%}
    {%- if alert not in known_alerts -%}
      {{ model_drift.fail("var model_drift_alerts lists '" ~ alert ~ "'; the alerts are " ~ known_alerts | join(', ') ~ ", e.g. --vars '{model_drift_alerts: [feature_drift]}'") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set alert_severity = var('model_drift_alert_severity') | lower -%}
  {%- if alert_severity not in ['warn', 'error'] -%}
    {{ model_drift.fail("var model_drift_alert_severity is '" ~ alert_severity ~ "'; use warn or error") }}
  {%- endif -%}
  {%- set max_psi = var('model_drift_alert_max_psi') -%}
  {%- if max_psi is not number or max_psi <= 0 -%}
    {{ model_drift.fail("var model_drift_alert_max_psi is '" ~ max_psi ~ "'; it must be a number > 0, e.g. 0.2") }}
  {%- endif -%}
  {%- set silent_periods = var('model_drift_alert_silent_periods') -%}
  {%- if silent_periods is not number or silent_periods < 1 or silent_periods != silent_periods | int -%}
    {{ model_drift.fail("var model_drift_alert_silent_periods is '" ~ silent_periods ~ "'; it must be a whole number of periods >= 1, e.g. 2") }}
  {%- endif -%}
  {%- set tolerance = var('model_drift_tolerance') -%}
  {%- set tolerance_kind = var('model_drift_tolerance_kind') -%}
  {%- if tolerance_kind not in ['absolute', 'relative'] -%}
    {{ model_drift.fail("var model_drift_tolerance_kind is '" ~ tolerance_kind ~ "'; use absolute or relative") }}
  {%- endif -%}
  {%- if tolerance is not number or tolerance <= 0 or (tolerance_kind == 'relative' and tolerance >= 1) -%}
    {{ model_drift.fail("var model_drift_tolerance is '" ~ tolerance ~ "'; it must be a number > 0 (and < 1 when model_drift_tolerance_kind is relative)") }}
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
      'threshold': threshold,
      'confidence_level': level,
      'z': z_by_level[level],
      'min_labels_per_period': min_labels | int,
      'model_versions_path': var('model_drift_model_versions_path'),
      'model_versions_schema': var('model_drift_model_versions_schema'),
      'model_versions_table': var('model_drift_model_versions_table'),
      'model_versions_version_column': var('model_drift_model_versions_version_column'),
      'model_versions_trained_at_column': var('model_drift_model_versions_trained_at_column'),
      'reference': reference,
      'reference_periods': reference_periods | int,
      'reference_start': reference_start,
      'reference_end': reference_end,
      'drift_bins': bins | int,
      'top_categories': top_categories | int,
      'metric': var('model_drift_metric'),
      'tolerance': tolerance,
      'tolerance_kind': tolerance_kind,
      'alerts': alerts,
      'alert_severity': alert_severity,
      'alert_max_psi': max_psi,
      'alert_silent_periods': silent_periods | int,
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
