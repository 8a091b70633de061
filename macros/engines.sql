{#- Which engines run the package's dbt Python models (the backtest under
    models/marts/experiments and the recommendations under
    models/marts/recommendations). dbt_project.yml enables those two folders
    on exactly these adapters; keep the two lists in step. -#}

{% macro python_model_engines() %}
  {{ return(['duckdb', 'snowflake', 'databricks', 'bigquery']) }}
{% endmacro %}


{% macro python_models_notice() %}
  {#- on-run-start: say why the Python marts are missing on this engine. No SQL. -#}
  {%- set engines = model_drift.python_model_engines() -%}
  {%- if execute and target.type not in engines -%}
    {{ log("model_drift: the backtest and recommendation models are dbt Python models; " ~ target.type
           ~ " cannot run them here, so they are disabled. They run on " ~ engines | join(', ') ~ ".", info=true) }}
  {%- endif -%}
{% endmacro %}
