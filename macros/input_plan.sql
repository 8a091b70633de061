{#- Resolves the column roles against the input's real columns, checks their
    types, infers the task, and returns the plan the staging model renders.
    Every failure names the var, the column and the fix. -#}

{% macro input_plan() %}
  {%- set s = model_drift.settings() -%}
  {%- set reserved = ['event_at', 'label_at', 'target', 'prediction', 'model_version', 'observation_id'] -%}
  {%- set role_vars = {
      'event_at': 'model_drift_event_at', 'target': 'model_drift_target',
      'label_at': 'model_drift_label_at', 'prediction': 'model_drift_prediction',
      'model_version': 'model_drift_model_version', 'observation_id': 'model_drift_id'} -%}
  {%- set plan = {'roles': {}, 'segments': [], 'features': [], 'float_features': [], 'task': s.task} -%}
  {%- if not execute -%}{%- do return(plan) -%}{%- endif -%}

  {%- set columns = model_drift.input_columns() -%}
  {%- set by_name = {} -%}
  {%- for c in columns -%}{%- do by_name.update({c.name | lower: c}) -%}{%- endfor -%}
  {%- set available = columns | map(attribute='name') | join(', ') -%}

  {#- 1. every configured role column exists, with a usable type -#}
  {%- set used = [] -%}
  {%- for role, column_name in s.roles.items() -%}
    {%- if column_name is not none -%}
      {%- set found = by_name.get(column_name | lower) -%}
      {%- if found is none -%}
        {{ model_drift.fail("var " ~ role_vars[role] ~ " names column '" ~ column_name ~ "', which is not in the input. Columns available: " ~ available ~ ". Fix: set " ~ role_vars[role] ~ " to one of them" ~ ("" if role == 'event_at' else ", or to null if you have none")) }}
      {%- endif -%}
      {%- set family = model_drift.type_family(found.data_type) -%}
      {%- if role in ['event_at', 'label_at'] and family not in ['timestamp_tz', 'timestamp', 'date'] -%}
        {{ model_drift.fail("column '" ~ found.name ~ "' (var " ~ role_vars[role] ~ ") has type " ~ found.data_type ~ "; it must be a timestamp or a date. Fix: cast it in a view over your table, or point " ~ role_vars[role] ~ " at a timestamp column") }}
      {%- endif -%}
      {%- do plan.roles.update({role: {'name': found.name, 'data_type': found.data_type, 'family': family}}) -%}
      {%- do used.append(found.name | lower) -%}
    {%- endif -%}
  {%- endfor -%}

  {#- 2. segments and features exist and do not reuse a role column or a reserved output name -#}
  {%- for kind, names in [('segments', s.segments), ('features', s.features or [])] -%}
    {%- for column_name in names -%}
      {%- set found = by_name.get(column_name | lower) -%}
      {%- if found is none -%}
        {{ model_drift.fail("var model_drift_" ~ kind ~ " lists column '" ~ column_name ~ "', which is not in the input. Columns available: " ~ available) }}
      {%- endif -%}
      {%- if found.name | lower in used -%}
        {{ model_drift.fail("var model_drift_" ~ kind ~ " lists column '" ~ column_name ~ "', which already has a role (event time, target, label time, prediction, model version or id). Fix: remove it from model_drift_" ~ kind) }}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- for column_name in s.segments -%}
    {%- do plan.segments.append(by_name[column_name | lower].name) -%}
  {%- endfor -%}
  {%- if s.features is none -%}
    {%- for c in columns if c.name | lower not in used and c.name not in plan.segments -%}
      {%- do plan.features.append(c.name) -%}
    {%- endfor -%}
  {%- else -%}
    {%- for column_name in s.features -%}
      {%- do plan.features.append(by_name[column_name | lower].name) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for column_name in plan.features if model_drift.type_family(by_name[column_name | lower].data_type) == 'float' -%}
    {%- do plan.float_features.append(column_name) -%}
  {%- endfor -%}
  {%- for column_name in plan.segments + plan.features -%}
    {%- if column_name | lower in reserved -%}
      {{ model_drift.fail("input column '" ~ column_name ~ "' has a name model_drift reserves for a role (" ~ reserved | join(', ') ~ ") but is not that role's column. Fix: rename it in a view, or give it that role with var model_drift_" ~ ('id' if column_name | lower == 'observation_id' else column_name | lower)) }}
    {%- endif -%}
  {%- endfor -%}

  {#- 3. the task, and a target the task can use -#}
  {%- if 'target' in plan.roles -%}
    {%- do plan.update({'task': model_drift.resolve_task(plan.roles.target, s)}) -%}
  {%- endif -%}
  {%- if 'prediction' in plan.roles -%}
    {%- set family = plan.roles.prediction.family -%}
    {%- set ok = {'binary': ['integer', 'float', 'boolean'], 'regression': ['integer', 'float'], 'multiclass': ['integer', 'string', 'boolean'], none: ['integer', 'float', 'boolean', 'string']}[plan.task] -%}
    {%- if family not in ok -%}
      {{ model_drift.fail("column '" ~ plan.roles.prediction.name ~ "' (var model_drift_prediction) has type " ~ plan.roles.prediction.data_type ~ ", which cannot be a " ~ plan.task ~ " prediction. Fix: point model_drift_prediction at a " ~ ("score or 0/1 column" if plan.task == 'binary' else "numeric column" if plan.task == 'regression' else "class column")) }}
    {%- endif -%}
  {%- endif -%}
  {%- do return(plan) -%}
{% endmacro %}


{% macro resolve_task(target_role, s) %}
  {#- The configured task, checked against the target's values; or, when
      model_drift_task is null, the task the target makes safe to infer. -#}
  {%- set column = model_drift.quote_name(target_role.name) -%}
  {%- set family = target_role.family -%}
  {%- set task = s.task -%}
  {%- set where = "where " ~ column ~ " is not null" -%}
  {%- if family in ['integer', 'float'] -%}
    {%- set finite = model_drift.finite_or_null(column) -%}
    {%- set stats = run_query("select count(distinct " ~ finite ~ "), sum(case when " ~ finite ~ " not in (0, 1) then 1 else 0 end), min(" ~ finite ~ ") from " ~ model_drift.input_relation() ~ " " ~ where).rows[0] -%}
    {%- set not_binary = stats[1] or 0 -%}
  {%- endif -%}
  {%- set hint = "Fix: set var model_drift_task to binary, multiclass or regression" -%}

  {%- if task is none -%}
    {%- if family == 'boolean' -%}{%- set task = 'binary' -%}
    {%- elif family == 'string' -%}
      {%- set task = 'binary' if s.positive_class is not none else 'multiclass' -%}
    {%- elif family in ['integer', 'float'] and not_binary == 0 -%}{%- set task = 'binary' -%}
    {%- elif family == 'float' -%}{%- set task = 'regression' -%}
    {%- elif family == 'integer' -%}
      {{ model_drift.fail("target column '" ~ target_role.name ~ "' holds whole numbers other than 0 and 1 (" ~ stats[0] ~ " distinct values), which could be classes or a quantity. " ~ hint) }}
    {%- else -%}
      {{ model_drift.fail("target column '" ~ target_role.name ~ "' (var model_drift_target) has type " ~ target_role.data_type ~ ", which model_drift cannot use as a target. Fix: point model_drift_target at a boolean, 0/1, class or numeric column") }}
    {%- endif -%}
  {%- endif -%}

  {%- if task == 'binary' -%}
    {%- if family == 'string' and s.positive_class is none -%}
      {{ model_drift.fail("target column '" ~ target_role.name ~ "' holds text and model_drift_task is binary; set var model_drift_positive_class to the value that means the positive class") }}
    {%- elif family in ['integer', 'float'] and not_binary > 0 -%}
      {{ model_drift.fail("target column '" ~ target_role.name ~ "' has " ~ not_binary ~ " non-null values other than 0 and 1, so it is not a binary target. Fix: map it to 0/1 or a boolean in a view, or set var model_drift_task to multiclass or regression") }}
    {%- elif family not in ['integer', 'float', 'boolean', 'string'] -%}
      {{ model_drift.fail("target column '" ~ target_role.name ~ "' has type " ~ target_role.data_type ~ ", which cannot be a binary target. Fix: map it to 0/1 or a boolean") }}
    {%- endif -%}
  {%- elif task == 'regression' and family not in ['integer', 'float'] -%}
    {{ model_drift.fail("target column '" ~ target_role.name ~ "' has type " ~ target_role.data_type ~ ", but model_drift_task is regression, which needs a numeric target. " ~ hint) }}
  {%- elif task == 'multiclass' and family not in ['integer', 'string', 'boolean'] -%}
    {{ model_drift.fail("target column '" ~ target_role.name ~ "' has type " ~ target_role.data_type ~ ", but model_drift_task is multiclass, which needs class labels (text or whole numbers). " ~ hint) }}
  {%- endif -%}
  {%- do return(task) -%}
{% endmacro %}


{% macro target_expression(plan) %}
  {#- The target as the task uses it: binary 0/1 integer, multiclass text, regression double. -#}
  {%- set s = model_drift.settings() -%}
  {%- if 'target' not in plan.roles -%}
    {%- do return('cast(null as ' ~ dbt.type_int() ~ ')') -%}
  {%- endif -%}
  {%- set column = model_drift.quote_name(plan.roles.target.name) -%}
  {%- set family = plan.roles.target.family -%}
  {%- if plan.task == 'binary' -%}
    {%- if family == 'boolean' -%}
      {%- do return('case when ' ~ column ~ ' then 1 when not ' ~ column ~ ' then 0 end') -%}
    {%- elif family == 'string' -%}
      {%- do return("case when " ~ column ~ " = " ~ model_drift.string_literal(s.positive_class) ~ " then 1 when " ~ column ~ " is not null then 0 end") -%}
    {%- else -%}
      {#- inf and NaN in a 0/1 float column are missing labels -#}
      {%- do return('cast(' ~ model_drift.finite_or_null(column) ~ ' as ' ~ dbt.type_int() ~ ')') -%}
    {%- endif -%}
  {%- elif plan.task == 'regression' -%}
    {%- do return(model_drift.finite_or_null('cast(' ~ column ~ ' as ' ~ model_drift.type_double() ~ ')')) -%}
  {%- else -%}
    {%- do return('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') -%}
  {%- endif -%}
{% endmacro %}


{% macro staged_columns(relation) %}
  {#- The column names of `relation` (a model downstream of staging), read from
      the warehouse: cheap metadata instead of planning the input again;
      without the settings_fingerprint an incremental build adds. Empty while
      parsing. -#}
  {%- if not execute -%}{%- do return([]) -%}{%- endif -%}
  {%- do return(adapter.get_columns_in_relation(relation) | map(attribute='name')
      | reject('equalto', 'settings_fingerprint') | list) -%}
{% endmacro %}


{% macro row_key(relation, alias) %}
  {#- The SQL expressions a hash sample of `relation` (read as `alias`) keys
      on: the observation_id of var model_drift_id, or else every staged
      column (equal rows are kept or dropped together). -#}
  {%- if model_drift.settings().roles.observation_id -%}
    {%- do return([alias ~ '.observation_id']) -%}
  {%- endif -%}
  {%- do return(model_drift.qualified_columns(relation, alias)) -%}
{% endmacro %}


{% macro qualified_columns(relation, alias) %}
  {#- Every staged column of `relation`, quoted and qualified with `alias`. -#}
  {%- set qualified = [] -%}
  {%- for column_name in model_drift.staged_columns(relation) -%}
    {%- do qualified.append(alias ~ '.' ~ model_drift.quote_name(column_name)) -%}
  {%- endfor -%}
  {%- do return(qualified) -%}
{% endmacro %}


{% macro segment_columns(relation) %}
  {#- model_drift_segments as spelled in `relation`. -#}
  {%- set staged = {} -%}
  {%- for name in model_drift.staged_columns(relation) -%}{%- do staged.update({name | lower: name}) -%}{%- endfor -%}
  {%- set found = [] -%}
  {%- for name in model_drift.settings().segments -%}
    {%- do found.append(staged.get(name | lower, name)) -%}
  {%- endfor -%}
  {%- do return(found) -%}
{% endmacro %}


{% macro staged_task(relation) %}
  {#- The task, read back from the type staging gave the target (binary 0/1
      integer, multiclass text, regression double), so marts need not plan
      the input again. -#}
  {%- set s = model_drift.settings() -%}
  {%- if s.task is not none or not execute -%}{%- do return(s.task or 'binary') -%}{%- endif -%}
  {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower == 'target' -%}
    {%- set family = model_drift.type_family(column.data_type) -%}
    {%- do return({'integer': 'binary', 'string': 'multiclass', 'float': 'regression'}.get(family, 'binary')) -%}
  {%- endfor -%}
  {%- do return('binary') -%}
{% endmacro %}


{% macro metric_names(task) %}
  {%- do return({
      'binary': ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'brier', 'positive_rate', 'predicted_positive_rate'],
      'multiclass': ['accuracy', 'macro_f1', 'weighted_f1'],
      'regression': ['mae', 'rmse', 'mape', 'r2', 'bias'],
  }[task]) -%}
{% endmacro %}


{% macro drift_columns(relation) %}
  {#- The columns whose distribution model_drift__feature_drift_by_period
      follows, read from `relation` (the cleaned observations): every feature
      (var model_drift_features, default every column without a role), then
      the prediction and the target. Numbers are 'numeric'; text and booleans
      'categorical'; dates, timestamps and nested types are not followed. -#}
  {%- if not execute -%}{%- do return([]) -%}{%- endif -%}
  {%- set s = model_drift.settings() -%}
  {%- set standard = ['event_at', 'label_at', 'target', 'prediction', 'model_version', 'observation_id',
                      'period_start', 'is_labelled', 'label_delay_hours', 'settings_fingerprint'] -%}
  {%- set wanted = (s.features | map('lower') | list) if s.features is not none else none -%}
  {%- set segments = s.segments | map('lower') | list -%}
  {%- set found = [] -%}
  {%- set by_name = {} -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}
    {%- do by_name.update({column.name | lower: column}) -%}
  {%- endfor -%}
  {%- for name, column in by_name.items() -%}
    {%- set is_feature = (name in wanted) if wanted is not none else (name not in standard and name not in segments) -%}
    {%- if is_feature and name not in standard -%}
      {%- set family = model_drift.type_family(column.data_type) -%}
      {%- if family in ['integer', 'float'] -%}
        {%- do found.append({'name': column.name, 'role': 'feature', 'type': 'numeric'}) -%}
      {%- elif family in ['string', 'boolean'] -%}
        {%- do found.append({'name': column.name, 'role': 'feature', 'type': 'categorical'}) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set task = model_drift.staged_task(relation) -%}
  {%- if s.roles.prediction is not none -%}
    {%- do found.append({'name': 'prediction', 'role': 'prediction', 'type': 'categorical' if task == 'multiclass' else 'numeric'}) -%}
  {%- endif -%}
  {%- if s.roles.target is not none -%}
    {%- do found.append({'name': 'target', 'role': 'target', 'type': 'numeric' if task == 'regression' else 'categorical'}) -%}
  {%- endif -%}
  {%- do return(found) -%}
{% endmacro %}


{% macro reference_condition(period_expression) %}
  {#- True for periods in the fixed reference window (var model_drift_reference
      first or dates). The trailing mode has no fixed window. -#}
  {%- set s = model_drift.settings() -%}
  {%- if s.reference == 'dates' -%}
    {{ return("(" ~ period_expression ~ " >= cast('" ~ s.reference_start ~ "' as " ~ dbt.type_timestamp() ~ ") and "
              ~ period_expression ~ " < cast('" ~ s.reference_end ~ "' as " ~ dbt.type_timestamp() ~ "))") }}
  {%- elif s.reference == 'first' -%}
    {{ return("(" ~ period_expression ~ " < " ~ dbt.dateadd(s.period, s.reference_periods,
              "(select min(period_start) from " ~ ref('int_model_drift__period_spine') ~ ")") ~ ")") }}
  {%- else -%}
    {{ return("(1 = 1)") }}
  {%- endif -%}
{% endmacro %}
