{#- Where the observations come from, and what their columns are. -#}

{% macro input_kinds() %}
  {#- The two relations a user can point the package at, and the vars that do it. -#}
  {%- set s = model_drift.settings() -%}
  {%- do return({
      'observations': {
          'path': s.input_path, 'table': s.input_table, 'source': ['model_drift', 'observations'],
          'path_var': 'model_drift_input_path', 'schema_var': 'model_drift_input_schema', 'table_var': 'model_drift_input_table'},
      'model_versions': {
          'path': s.model_versions_path, 'table': s.model_versions_table, 'source': ['model_drift_versions', 'model_versions'],
          'path_var': 'model_drift_model_versions_path', 'schema_var': 'model_drift_model_versions_schema', 'table_var': 'model_drift_model_versions_table'},
  }) -%}
{% endmacro %}


{% macro is_configured(kind='observations') %}
  {%- set k = model_drift.input_kinds()[kind] -%}
  {%- do return(k.path is not none or k.table is not none) -%}
{% endmacro %}


{% macro input_relation(kind='observations') %}
  {#- The FROM target for `kind`: a file read by DuckDB, or the user's table
      declared as a source. -#}
  {%- set k = model_drift.input_kinds()[kind] -%}
  {%- if k.path -%}
    {%- do return(model_drift.read_file(k.path, k.path_var)) -%}
  {%- elif k.table -%}
    {%- do return(source(k.source[0], k.source[1])) -%}
  {%- else -%}
    {{ model_drift.fail("no input is configured: set var " ~ k.path_var ~ " to a .parquet or .csv file, or " ~ k.schema_var ~ " and " ~ k.table_var ~ " to your table (see the README, 'Point it at your data')") }}
  {%- endif -%}
{% endmacro %}


{% macro read_file(path, path_var) %}
  {{ return(adapter.dispatch('read_file', 'model_drift')(path, path_var)) }}
{% endmacro %}

{% macro default__read_file(path, path_var) %}
  {{ model_drift.fail("var " ~ path_var ~ " reads a file, which only DuckDB can do; on " ~ target.type ~ " load the file into a table and point the matching _schema and _table vars at it instead") }}
{% endmacro %}

{% macro duckdb__read_file(path, path_var) %}
  {%- set lowered = path | lower -%}
  {%- if "'" in path -%}
    {{ model_drift.fail("var " ~ path_var ~ " must not contain a single quote: " ~ path) }}
  {%- elif lowered.endswith('.parquet') -%}
    {%- do return("read_parquet('" ~ path ~ "')") -%}
  {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.tsv') -%}
    {%- do return("read_csv('" ~ path ~ "', auto_detect = true)") -%}
  {%- else -%}
    {{ model_drift.fail("var " ~ path_var ~ " is '" ~ path ~ "'; it must end in .parquet, .csv, .csv.gz or .tsv") }}
  {%- endif -%}
{% endmacro %}


{% macro input_columns(kind='observations') %}
  {#- [{'name': ..., 'data_type': ...}] of the input, in its order. Empty
      while dbt parses (nothing is queried then). -#}
  {%- if not execute -%}{%- do return([]) -%}{%- endif -%}
  {%- set k = model_drift.input_kinds()[kind] -%}
  {%- set relation = model_drift.input_relation(kind) -%}
  {%- if k.path -%}
    {%- set found = run_query("select count(*) from glob('" ~ k.path ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
      {{ model_drift.fail("var " ~ k.path_var ~ " is '" ~ k.path ~ "' but no such file exists (a relative path is relative to the folder dbt runs in)") }}
    {%- endif -%}
    {#- an empty file is caught before DuckDB reads it: a zero-byte CSV reads
        as one text column, a Parquet file without columns does not read -#}
    {%- set sizes = run_query("select count(case when size = 0 then 1 end), min(size) from read_blob('" ~ k.path ~ "')").rows[0] -%}
    {%- set is_parquet = (k.path | lower).endswith('.parquet') -%}
    {%- if sizes[0] > 0 or (is_parquet and sizes[1] < 65536 and model_drift.parquet_without_columns(k.path))
          or (is_parquet and run_query("select coalesce(sum(num_rows), 0) from parquet_file_metadata('" ~ k.path ~ "')").columns[0].values()[0] == 0) -%}
      {{ model_drift.fail_no_rows(kind, "var " ~ k.path_var ~ " is '" ~ k.path ~ "', an empty file", "point " ~ k.path_var ~ " at a file with rows") }}
    {%- endif -%}
    {%- set described = run_query("describe select * from " ~ relation) -%}
    {%- if kind == 'observations' and not is_parquet and run_query("select count(*) from (select 1 from " ~ relation ~ " limit 1) as first_row").columns[0].values()[0] == 0 -%}
      {{ model_drift.fail_no_rows(kind, "var " ~ k.path_var ~ " is '" ~ k.path ~ "', which holds a header but no rows", "point " ~ k.path_var ~ " at a file with rows") }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for row in described.rows -%}
      {%- do columns.append({'name': row[0], 'data_type': row[1]}) -%}
    {%- endfor -%}
    {%- do return(columns) -%}
  {%- else -%}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if found is none -%}
      {{ model_drift.fail("the table " ~ relation ~ " does not exist; set " ~ k.schema_var ~ " and " ~ k.table_var ~ " to your table") }}
    {%- endif -%}
    {%- if kind == 'observations' and run_query("select count(*) from (select 1 from " ~ relation ~ " limit 1) as first_row").columns[0].values()[0] == 0 -%}
      {{ model_drift.fail_no_rows(kind, "the table " ~ relation ~ " (vars " ~ k.schema_var ~ ", " ~ k.table_var ~ ") is empty", "load rows into it, or point " ~ k.table_var ~ " at a table with rows") }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- do columns.append({'name': column.name, 'data_type': column.data_type}) -%}
    {%- endfor -%}
    {%- do return(columns) -%}
  {%- endif -%}
{% endmacro %}


{% macro parquet_without_columns(path) %}
  {#- True when a (small) Parquet file has no columns at all, as pandas writes
      an empty DataFrame: DuckDB cannot even read its metadata. The footer's
      schema list then holds only the root: its Thrift header is 0x1C, right
      after the version field (bytes 15 0x, then 19). -#}
  {%- set found = run_query("with files as (select size, hex(content) as h from read_blob('" ~ path ~ "') where size < 65536 and size > 12), "
      ~ "footers as (select h, size, cast('0x' || substr(h, 2 * size - 9, 2) || substr(h, 2 * size - 11, 2) || substr(h, 2 * size - 13, 2) || substr(h, 2 * size - 15, 2) as bigint) as footer_bytes from files) "
      ~ "select count(*) from footers where footer_bytes < size and substr(h, 2 * (size - 8 - footer_bytes) + 5, 4) = '191C'").columns[0].values()[0] -%}
  {%- do return(found > 0) -%}
{% endmacro %}


{% macro fail_no_rows(kind, what, fix) %}
  {#- The one message for input without usable rows, whichever way it is empty. -#}
  {{ model_drift.fail("the " ~ ("observations" if kind == 'observations' else "model versions") ~ " input has no usable rows: " ~ what ~ ". Fix: " ~ fix) }}
{% endmacro %}


{% macro type_family(data_type) %}
  {#- timestamp_tz | timestamp | date | boolean | integer | float | string | other,
      from the engine's type name (DuckDB, PostgreSQL and Spark spellings).
      Spark's TIMESTAMP is an instant (shown in the session time zone, UTC in
      a model_drift profile), so it is time-zone-aware; TIMESTAMP_NTZ is naive. -#}
  {%- set t = data_type | lower | trim -%}
  {%- if 'with time zone' in t or t in ['timestamptz', 'timestamp_tz'] or (t == 'timestamp' and target.type == 'spark') -%}{%- do return('timestamp_tz') -%}
  {%- elif 'timestamp' in t or t.startswith('datetime') -%}{%- do return('timestamp') -%}
  {%- elif t == 'date' -%}{%- do return('date') -%}
  {%- elif t in ['boolean', 'bool'] -%}{%- do return('boolean') -%}
  {%- elif t in ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'utinyint', 'usmallint', 'uinteger', 'ubigint', 'uhugeint', 'int2', 'int4', 'int8', 'long', 'short', 'byte'] -%}{%- do return('integer') -%}
  {%- elif t in ['double', 'float', 'real', 'double precision', 'float4', 'float8'] or t.startswith('decimal') or t.startswith('numeric') -%}{%- do return('float') -%}
  {%- elif t.startswith('varchar') or t.startswith('character') or t.startswith('char') or t in ['text', 'string'] -%}{%- do return('string') -%}
  {%- else -%}{%- do return('other') -%}
  {%- endif -%}
{% endmacro %}


{% macro to_wall_clock(expression, family, timezone) %}
  {#- A timestamp in the wall-clock time of `timezone`: time-zone-aware values
      are converted, naive ones are taken as already in that zone. -#}
  {%- if family == 'timestamp_tz' -%}
    {{ return(adapter.dispatch('convert_timezone', 'model_drift')(expression, timezone)) }}
  {%- else -%}
    {{ return('cast(' ~ expression ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
  {%- endif -%}
{% endmacro %}

{% macro default__convert_timezone(expression, timezone) -%}
  ({{ expression }} at time zone '{{ timezone }}')
{%- endmacro %}

{% macro duckdb__convert_timezone(expression, timezone) -%}
  timezone('{{ timezone }}', {{ expression }})
{%- endmacro %}

{% macro spark__convert_timezone(expression, timezone) -%}
  {#- the instant's UTC wall clock (session time zone UTC) moved to `timezone` -#}
  from_utc_timestamp({{ expression }}, '{{ timezone }}')
{%- endmacro %}


{% macro now_wall_clock() %}
  {#- "Now" for future-timestamp checks: model_drift_as_of, or the run's
      clock in model_drift_timezone. -#}
  {%- set s = model_drift.settings() -%}
  {%- if s.as_of -%}
    {{ return("cast('" ~ s.as_of ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
  {%- else -%}
    {{ return(adapter.dispatch('convert_timezone', 'model_drift')(dbt.current_timestamp(), s.timezone)) }}
  {%- endif -%}
{% endmacro %}
