{#- Incremental daily builds (var model_drift_incremental). The per-period
    tables (the cleaned observations, the drift histograms and period stats,
    the quality and arrival counts) are then dbt incremental models: a run
    deletes and rewrites only the periods from a lookback before the newest
    one it stored, so a new day of rows and the late labels of recent days
    cost one window's work. The marts over them stay tables, rebuilt from
    those small per-period rows, so an incremental run gives the same tables
    as a full refresh. -#}

{% macro incremental_config(reference_dependent=false) %}
  {#- The config of a per-period table: incremental (delete+insert by
      period_start) when var model_drift_incremental is on and the engine
      deletes by key (DuckDB, PostgreSQL), else a table. Tables binned
      against a trailing reference stay tables: that reference is every row,
      so each new day moves every period's bins. -#}
  {%- set s = model_drift.settings() -%}
  {%- if s.incremental and target.type in ['duckdb', 'postgres']
      and not (reference_dependent and s.reference == 'trailing') -%}
    {%- do return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': 'period_start', 'on_schema_change': 'fail'}) -%}
  {%- endif -%}
  {%- do return({'materialized': 'table'}) -%}
{% endmacro %}


{% macro settings_fingerprint() %}
  {#- A hash of every setting that changes a per-period table (not the
      input's location, "now", the backtest's or the alerts'), stored in each
      row of those tables, so a run on changed settings is stopped instead of
      mixing periods built two ways. -#}
  {%- set s = model_drift.settings() -%}
  {%- set used = {} -%}
  {%- for key in ['roles', 'features', 'segments', 'task', 'positive_class', 'period', 'timezone', 'threshold',
                  'confidence_level', 'min_labels_per_period', 'reference', 'reference_periods', 'reference_start',
                  'reference_end', 'drift_bins', 'drift_edge_max_rows', 'top_categories'] -%}
    {%- do used.update({key: s[key]}) -%}
  {%- endfor -%}
  {%- do return(local_md5(tojson(used, sort_keys=true))) -%}
{% endmacro %}


{% macro incremental_columns(reference_fingerprint=none) %}
  {#- The fingerprint columns an incremental per-period table carries (none
      for a table), written after its last selected column: the settings'
      hash and, for a binned table, its reference's. -#}
  {%- if config.get('materialized') != 'incremental' -%}{%- do return('') -%}{%- endif -%}
  {%- set columns = ", cast('" ~ model_drift.settings_fingerprint() ~ "' as " ~ dbt.type_string() ~ ") as settings_fingerprint" -%}
  {%- if reference_fingerprint -%}
    {%- set columns = columns ~ ", " ~ reference_fingerprint ~ " as reference_fingerprint" -%}
  {%- endif -%}
  {%- do return(columns) -%}
{% endmacro %}


{% macro reference_fingerprint(edges_relation, top_categories_relation) %}
  {#- SQL for one hash of the bin edges and top categories, the reference
      every drift bin is cut by. -#}
  {%- set item = "'e' || feature_name || ':' || " ~ dbt.cast('edge_number', dbt.type_string())
      ~ " || ':' || " ~ dbt.cast('upper_edge', dbt.type_string()) -%}
  {%- set category = "'c' || feature_name || ':' || " ~ dbt.cast('category_rank', dbt.type_string())
      ~ " || ':' || category" -%}
  {%- do return("(select " ~ dbt.hash(dbt.listagg('item', "','", 'order by item')) ~ " from (select " ~ item
      ~ " as item from " ~ edges_relation ~ " union all select " ~ category ~ " as item from "
      ~ top_categories_relation ~ ") as reference_items)") -%}
{% endmacro %}


{% macro incremental_window(column, cleaned, reference_fingerprint=none) %}
  {#- A condition on `column` (an event time or period start) keeping the
      rows this run recomputes: every row on a full build; on an incremental
      run those from the lookback before the newest period stored in this
      table. `cleaned` is the relation holding label_delay_hours (the
      cleaned observations, or this table when it is them). With
      `reference_fingerprint` (SQL for the current reference's hash), stored
      rows binned against another reference do not count, so a changed
      reference recomputes every period. -#}
  {%- if config.get('materialized') != 'incremental' or not is_incremental() -%}{%- do return('1 = 1') -%}{%- endif -%}
  {%- set s = model_drift.settings() -%}
  {%- set stored = run_query("select distinct settings_fingerprint from " ~ this).columns[0].values() -%}
  {%- for fingerprint in stored if fingerprint != model_drift.settings_fingerprint() -%}
    {{ model_drift.fail(this.identifier ~ " was built with other settings than this run's (a var that changes the per-period tables, such as model_drift_period, the column roles, the features or the reference, has changed) and var model_drift_incremental is true; rebuild it once with dbt build --full-refresh") }}
  {%- endfor -%}
  {%- set lookback = model_drift.incremental_lookback_periods(cleaned) -%}
  {%- set newest = "(select max(period_start) from " ~ this
      ~ (" where reference_fingerprint = " ~ reference_fingerprint if reference_fingerprint else "") ~ ")" -%}
  {%- do return(column ~ " >= coalesce(" ~ dbt.dateadd(s.period, -lookback, newest) ~ ", "
      ~ dbt.cast("'1900-01-01 00:00:00'", dbt.type_timestamp()) ~ ")") -%}
{% endmacro %}


{% macro incremental_lookback_periods(cleaned) %}
  {#- Var model_drift_incremental_lookback_periods, or else the longest label
      delay stored in `cleaned` in whole periods (a month counted as 28 days,
      so never too few) plus one: every period a label arriving now can
      belong to, if no label comes later than every label before it (set the
      var when one can). Settings fails early when neither is known. -#}
  {%- set s = model_drift.settings() -%}
  {%- if s.incremental_lookback_periods is not none -%}{%- do return(s.incremental_lookback_periods) -%}{%- endif -%}
  {%- set longest = run_query("select max(label_delay_hours) from " ~ cleaned).columns[0].values()[0] or 0 -%}
  {%- set period_hours = 672 if s.period == 'month' else s.period_hours -%}
  {%- set whole = (longest / period_hours) | round(0, 'ceil') | int -%}
  {%- do return(whole + 1) -%}
{% endmacro %}
