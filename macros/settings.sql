{#- The one reader of the package's vars. settings() validates every var -
    those SQL models and alerts read and those the Python marts read - and
    returns them as one dict, so a bad setting fails with the var's name and
    an example of a good value. Defaults live in dbt_project.yml, nowhere
    else (not here, not in Python).

    When it runs: dbt renders every SQL model while it parses the project,
    and each calls settings(), so a bad var fails `dbt build` (and `dbt ls`,
    `dbt compile`) before any model runs; the package's on-run-start hook
    (validate_settings below) checks again at the start of every run, on
    every engine. The Python marts cannot call a macro (dbt renders their
    YAML config with var() only), so they read this dict as JSON from the
    model model_drift__settings, which renders it (settings_json). The only
    other reader is the sources YAML (models/staging), which cannot call a
    macro either: it reads the input's schema and table vars itself. -#}

{% macro settings() %}
  {%- set period = var('model_drift_period') -%}
  {%- set periods = ['hour', 'day', 'week', 'month'] -%}
  {%- if period not in periods -%}
    {{ model_drift.fail("var model_drift_period is '" ~ period ~ "'; use one of " ~ periods | join(', ') ~ ", e.g. --vars '{model_drift_period: week}'") }}
  {%- endif -%}

  {%- set task = var('model_drift_task') -%}
  {%- set tasks = ['binary', 'multiclass', 'regression'] -%}
  {%- if task is not none and task not in tasks -%}
    {{ model_drift.fail("var model_drift_task is '" ~ task ~ "'; use one of " ~ tasks | join(', ') ~ ", e.g. --vars '{model_drift_task: binary}', or leave it unset (null) to infer it from the target column") }}
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
    {{ model_drift.fail("var model_drift_input_check_severity is '" ~ severity ~ "'; use warn or error, e.g. --vars '{model_drift_input_check_severity: error}'") }}
  {%- endif -%}

  {%- set timezone = var('model_drift_timezone') -%}
  {%- if timezone is not string or timezone | length == 0 or "'" in timezone -%}
    {{ model_drift.fail("var model_drift_timezone is '" ~ timezone ~ "'; give an IANA time zone name such as UTC or America/New_York") }}
  {%- endif -%}

  {%- set as_of = var('model_drift_as_of') -%}
  {%- if as_of is not none and (as_of is not string or not modules.re.match('^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$', as_of)) -%}
    {{ model_drift.fail("var model_drift_as_of is '" ~ as_of ~ "'; give a wall-clock time 'YYYY-MM-DD HH:MM:SS' in model_drift_timezone, e.g. --vars '{model_drift_as_of: \"2024-03-01 00:00:00\"}', or null for the run's clock") }}
  {%- endif -%}

  {%- set threshold = var('model_drift_threshold') -%}
  {%- if threshold is not number or threshold <= 0 or threshold >= 1 -%}
    {{ model_drift.fail("var model_drift_threshold is '" ~ threshold ~ "'; it must be a number strictly between 0 and 1, e.g. 0.5") }}
  {%- endif -%}

  {%- set z_by_level = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004} -%}
  {%- set level = var('model_drift_confidence_level') -%}
  {%- if level not in z_by_level -%}
    {{ model_drift.fail("var model_drift_confidence_level is '" ~ level ~ "'; use 0.90, 0.95 or 0.99, e.g. --vars '{model_drift_confidence_level: 0.95}'") }}
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
    {{ model_drift.fail("var model_drift_alert_severity is '" ~ alert_severity ~ "'; use warn or error, e.g. --vars '{model_drift_alert_severity: error}'") }}
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
    {{ model_drift.fail("var model_drift_tolerance_kind is '" ~ tolerance_kind ~ "'; use absolute or relative, e.g. --vars '{model_drift_tolerance_kind: relative}'") }}
  {%- endif -%}
  {%- if tolerance is not number or tolerance <= 0 or (tolerance_kind == 'relative' and tolerance >= 1) -%}
    {{ model_drift.fail("var model_drift_tolerance is '" ~ tolerance ~ "'; it must be a number > 0 (and < 1 when model_drift_tolerance_kind is relative), e.g. --vars '{model_drift_tolerance: 0.02}'") }}
  {%- endif -%}

  {#- the Python marts: the backtest, the decay curve, the recommendations -#}
  {%- set metric = model_drift.metric_var(task) -%}
  {%- set known_estimators = ['hist_gradient_boosting', 'linear', 'random_forest'] -%}
  {%- set estimator = var('model_drift_estimator') -%}
  {%- if estimator is not string or (estimator not in known_estimators and not modules.re.match('^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$', estimator)) -%}
    {{ model_drift.fail("var model_drift_estimator is '" ~ estimator ~ "'; use one of " ~ known_estimators | join(', ') ~ ", or your own factory as 'package.module:function', e.g. --vars '{model_drift_estimator: linear}'") }}
  {%- endif -%}
  {%- set window_periods = model_drift.whole_list_var('model_drift_backtest_window_periods', 1, '[7, 28, 91]') -%}
  {%- set decay_spec = var('model_drift_decay_spec') -%}
  {%- set decay_specs = ['all'] -%}
  {%- for w in window_periods -%}{%- do decay_specs.append('window_' ~ w) -%}{%- endfor -%}
  {%- if decay_spec not in decay_specs -%}
    {{ model_drift.fail("var model_drift_decay_spec is '" ~ decay_spec ~ "'; use all or a window of model_drift_backtest_window_periods: " ~ decay_specs | join(', ') ~ ", e.g. --vars '{model_drift_decay_spec: all}'") }}
  {%- endif -%}
  {%- set n_jobs = var('model_drift_backtest_n_jobs') -%}
  {%- if n_jobs is not number or n_jobs is boolean or n_jobs == 0 or n_jobs != n_jobs | int -%}
    {{ model_drift.fail("var model_drift_backtest_n_jobs is '" ~ n_jobs ~ "'; it must be a whole number of parallel fits other than 0 (-1 = every core), e.g. --vars '{model_drift_backtest_n_jobs: 2}'") }}
  {%- endif -%}
  {%- set retrain_cost = model_drift.cost_var('model_drift_retrain_cost', 'model_drift_quality_unit_cost') -%}
  {%- set quality_unit_cost = model_drift.cost_var('model_drift_quality_unit_cost', 'model_drift_retrain_cost') -%}
  {%- set known_floors = ['label_delay', 'labelled_rows_needed'] -%}
  {%- set floors = var('model_drift_retrain_floors') or [] -%}
  {%- if floors is string -%}{%- set floors = [floors] -%}{%- endif -%}
  {%- for floor in floors -%}
    {%- if floor not in known_floors -%}
      {{ model_drift.fail("var model_drift_retrain_floors lists '" ~ floor ~ "'; the floors are " ~ known_floors | join(', ') ~ ", e.g. --vars '{model_drift_retrain_floors: [label_delay]}'") }}
    {%- endif -%}
  {%- endfor -%}

  {%- set incremental = var('model_drift_incremental') -%}
  {%- if incremental is not boolean -%}
    {{ model_drift.fail("var model_drift_incremental is '" ~ incremental ~ "'; it must be true or false, e.g. --vars '{model_drift_incremental: true}'") }}
  {%- endif -%}
  {%- set lookback = var('model_drift_incremental_lookback_periods') -%}
  {%- if lookback is not none -%}
    {%- set lookback = model_drift.whole_var('model_drift_incremental_lookback_periods', 0, 7) -%}
  {%- endif -%}

  {%- set positive_class = var('model_drift_positive_class') -%}
  {%- if positive_class is boolean -%}
    {{ model_drift.fail("var model_drift_positive_class is " ~ positive_class ~ ", a boolean: YAML reads yes, no, true and false without quotes as booleans. Quote the value that means the positive class, e.g. --vars '{model_drift_positive_class: \"yes\"}'") }}
  {%- endif -%}

  {%- set roles = {
      'event_at': model_drift.column_var('model_drift_event_at', required=true),
      'target': model_drift.column_var('model_drift_target'),
      'label_at': model_drift.column_var('model_drift_label_at'),
      'prediction': model_drift.column_var('model_drift_prediction'),
      'model_version': model_drift.column_var('model_drift_model_version'),
      'observation_id': model_drift.column_var('model_drift_id'),
  } -%}
  {%- if incremental and lookback is none and not roles.label_at -%}
    {{ model_drift.fail("var model_drift_incremental is true but the input has no label times (var model_drift_label_at), so how late a label can arrive is unknown; set var model_drift_incremental_lookback_periods to the most periods a label can come after its event, e.g. --vars '{model_drift_incremental_lookback_periods: 7}'") }}
  {%- endif -%}

  {%- do return({
      'input_path': var('model_drift_input_path'),
      'input_schema': var('model_drift_input_schema'),
      'input_table': var('model_drift_input_table'),
      'roles': roles,
      'features': model_drift.column_list_var('model_drift_features', allow_null=true),
      'segments': model_drift.column_list_var('model_drift_segments'),
      'task': task,
      'positive_class': positive_class,
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
      'drift_edge_max_rows': model_drift.whole_var('model_drift_drift_edge_max_rows', 100, 2000000),
      'top_categories': top_categories | int,
      'incremental': incremental,
      'incremental_lookback_periods': lookback,
      'metric': metric,
      'tolerance': tolerance,
      'tolerance_kind': tolerance_kind,
      'estimator': estimator,
      'backtest_cutoffs': model_drift.whole_var('model_drift_backtest_cutoffs', 2, 5),
      'backtest_window_periods': window_periods,
      'backtest_row_counts': model_drift.whole_list_var('model_drift_backtest_row_counts', 1, '[250, 500, 1000, 2000, 4000]'),
      'backtest_learning_ages': model_drift.whole_var('model_drift_backtest_learning_ages', 1, 7),
      'backtest_max_rows_per_fit': model_drift.whole_var('model_drift_backtest_max_rows_per_fit', 10, 10000),
      'backtest_min_train_rows': model_drift.whole_var('model_drift_backtest_min_train_rows', 10, 200),
      'backtest_max_replay_fits': model_drift.whole_var('model_drift_backtest_max_replay_fits', 8, 150),
      'backtest_max_eval_rows_per_period': model_drift.whole_var('model_drift_backtest_max_eval_rows_per_period', 10, 500),
      'backtest_max_rows_per_period': model_drift.whole_var('model_drift_backtest_max_rows_per_period', 10, 20000),
      'backtest_n_jobs': n_jobs | int,
      'decay_spec': decay_spec,
      'decay_fresh_periods': model_drift.whole_var('model_drift_decay_fresh_periods', 1, 7),
      'seed': model_drift.whole_var('model_drift_seed', 0, 0),
      'retrain_cost': retrain_cost,
      'quality_unit_cost': quality_unit_cost,
      'retrain_floors': floors,
      'alerts': alerts,
      'alert_severity': alert_severity,
      'alert_max_psi': max_psi,
      'alert_silent_periods': silent_periods | int,
  }) -%}
{% endmacro %}


{% macro validate_settings() %}
  {#- on-run-start: every var checked before any model of the run; no SQL. -#}
  {%- do model_drift.settings() -%}
{% endmacro %}


{% macro refresh_settings_table() %}
  {#- on-run-start: the Python marts read their settings from
      model_drift__settings, so a build that changes a var but does not
      select that table (e.g. `dbt build -s model_drift__backtest_scores+`)
      would run them on the old values. The table is brought up to this
      invocation's vars first, as the SQL models are. Only where the Python
      marts run (model_drift.python_model_engines()). -#}
  {%- if execute and target.type in model_drift.python_model_engines() -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                    | selectattr('package_name', 'equalto', 'model_drift')
                    | selectattr('name', 'equalto', 'model_drift__settings') | list -%}
    {%- set relation = adapter.get_relation(database=nodes[0].database, schema=nodes[0].schema,
                                            identifier=nodes[0].alias) if nodes else none -%}
    {%- if relation is not none and relation.is_table -%}
      {%- set current = model_drift.settings_json() -%}
      {%- set stored = run_query('select settings_json from ' ~ relation) -%}
      {%- if stored.rows | length != 1 or stored.rows[0][0] != current -%}
        {%- for statement in model_drift.replace_settings_row(relation, model_drift.string_literal(current)) -%}
          {%- do run_query(statement) -%}
        {%- endfor -%}
        {{ log("model_drift: " ~ relation ~ " brought up to this run's vars (the Python marts read it)", info=true) }}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}


{% macro replace_settings_row(relation, literal) %}
  {{ return(adapter.dispatch('replace_settings_row', 'model_drift')(relation, literal)) }}
{% endmacro %}

{% macro default__replace_settings_row(relation, literal) -%}
  {#- `where 1 = 1`: BigQuery takes no DELETE without a WHERE -#}
  {%- do return(["delete from " ~ relation ~ " where 1 = 1", "insert into " ~ relation ~ " (settings_json) values (" ~ literal ~ ")"]) -%}
{%- endmacro %}

{% macro spark__replace_settings_row(relation, literal) -%}
  {#- Spark's plain tables take no DELETE (Databricks dispatches here too) -#}
  {%- do return(["insert overwrite table " ~ relation ~ " select " ~ literal ~ " as settings_json"]) -%}
{%- endmacro %}


{% macro settings_json() %}
  {#- settings() as JSON text, what model_drift__settings holds for the Python marts. -#}
  {{- return(tojson(model_drift.settings(), sort_keys=true)) -}}
{% endmacro %}


{#- The metrics that can drive decisions (var model_drift_metric): those the
    SQL marts and the Python backtest both compute; the first of each task is
    its default. python/model_drift/metrics.py holds the same lists
    (METRICS_BY_TASK, DEFAULT_METRIC); a test keeps them equal. -#}
{% macro decision_metrics() %}
  {%- do return({
      'binary': ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'brier'],
      'multiclass': ['accuracy', 'macro_f1', 'weighted_f1'],
      'regression': ['mae', 'rmse', 'mape', 'r2'],
  }) -%}
{% endmacro %}


{% macro metric_var(task) %}
  {#- var model_drift_metric: null (the task's default) or a metric of the
      task; with the task not set, a metric of any task (checked against the
      task when the target's type makes it known: check_metric_for_task). -#}
  {%- set metric = var('model_drift_metric') -%}
  {%- if metric is none -%}{%- do return(none) -%}{%- endif -%}
  {%- set by_task = model_drift.decision_metrics() -%}
  {%- if task is not none -%}
    {%- if metric not in by_task[task] -%}
      {{ model_drift.fail("var model_drift_metric is '" ~ metric ~ "', which is not a " ~ task ~ " metric (var model_drift_task is " ~ task ~ "); use one of " ~ by_task[task] | join(', ') ~ ", e.g. --vars '{model_drift_metric: " ~ by_task[task][0] ~ "}', or null for the task's default") }}
    {%- endif -%}
  {%- else -%}
    {%- set known = [] -%}
    {%- for name in by_task.values() | sum(start=[]) if name not in known -%}{%- do known.append(name) -%}{%- endfor -%}
    {%- if metric not in known -%}
      {{ model_drift.fail("var model_drift_metric is '" ~ metric ~ "', which is not a metric; use one of binary: " ~ by_task.binary | join(', ') ~ "; multiclass: " ~ by_task.multiclass | join(', ') ~ "; regression: " ~ by_task.regression | join(', ') ~ ", e.g. --vars '{model_drift_metric: roc_auc}', or null for the task's default") }}
    {%- endif -%}
  {%- endif -%}
  {%- do return(metric) -%}
{% endmacro %}


{% macro check_metric_for_task(metric, task) %}
  {#- Where the task becomes known from the target's type (var
      model_drift_task not set): var model_drift_metric must be one of its
      metrics. Worded as python/model_drift/metrics.py words it. -#}
  {%- set by_task = model_drift.decision_metrics() -%}
  {%- if metric is not none and metric not in by_task[task] -%}
    {%- set why = {
        'binary': 'the target holds 0/1 or true/false values',
        'multiclass': 'the target holds text',
        'regression': 'the target holds decimal numbers',
    }[task] -%}
    {%- set fix = "set var model_drift_task to the task whose metric it is (binary, multiclass or regression)" -%}
    {%- if task == 'multiclass' and metric in by_task.binary -%}
      {%- set fix = "for a yes/no target set var model_drift_task to binary and var model_drift_positive_class to the value that means yes, e.g. --vars '{model_drift_task: binary, model_drift_positive_class: \"yes\"}'" -%}
    {%- endif -%}
    {{ model_drift.fail("var model_drift_metric is '" ~ metric ~ "', which is not a " ~ task ~ " metric, and var model_drift_task is not set, so the task was inferred as " ~ task ~ " (" ~ why ~ "). Fix: " ~ fix ~ "; or set var model_drift_metric to one of " ~ by_task[task] | join(', ')) }}
  {%- endif -%}
{% endmacro %}


{% macro whole_var(name, minimum, example) %}
  {%- set value = var(name) -%}
  {%- if value is not number or value is boolean or value < minimum or value != value | int -%}
    {{ model_drift.fail("var " ~ name ~ " is '" ~ value ~ "'; it must be a whole number >= " ~ minimum ~ ", e.g. --vars '{" ~ name ~ ": " ~ example ~ "}'") }}
  {%- endif -%}
  {%- do return(value | int) -%}
{% endmacro %}


{% macro whole_list_var(name, minimum, example) %}
  {%- set value = var(name) -%}
  {%- set bad = [] -%}
  {%- if value is string or value is mapping or value is not iterable or value | length == 0 -%}
    {%- do bad.append(value) -%}
  {%- else -%}
    {%- for item in value -%}
      {%- if item is not number or item is boolean or item < minimum or item != item | int -%}{%- do bad.append(item) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if bad -%}
    {{ model_drift.fail("var " ~ name ~ " is '" ~ value ~ "'; it must be a list of whole numbers >= " ~ minimum ~ ", e.g. --vars '{" ~ name ~ ": " ~ example ~ "}'") }}
  {%- endif -%}
  {%- do return(value | map('int') | list) -%}
{% endmacro %}


{% macro cost_var(name, partner) %}
  {#- model_drift_retrain_cost and model_drift_quality_unit_cost: null, or
      a number >= 0 with its partner set too. -#}
  {%- set value = var(name) -%}
  {%- if value is not none and (value is not number or value is boolean or value < 0) -%}
    {{ model_drift.fail("var " ~ name ~ " is '" ~ value ~ "'; it must be a number >= 0 or null, e.g. --vars '{model_drift_retrain_cost: 500, model_drift_quality_unit_cost: 20000}'") }}
  {%- endif -%}
  {%- if (value is none) != (var(partner) is none) -%}
    {{ model_drift.fail("var " ~ name ~ " is '" ~ value ~ "' and var " ~ partner ~ " is '" ~ var(partner) ~ "'; set both for a cost-optimal interval, or neither, e.g. --vars '{model_drift_retrain_cost: 500, model_drift_quality_unit_cost: 20000}'") }}
  {%- endif -%}
  {%- do return(value) -%}
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
