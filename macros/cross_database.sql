{#- SQL that differs between engines. Each public macro is one dispatch;
    default__ is ANSI / PostgreSQL, adapters override only where they differ. -#}

{% macro percentile_cont(expression, fraction) %}
  {{ return(adapter.dispatch('percentile_cont', 'model_drift')(expression, fraction)) }}
{% endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
  percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
  percentile({{ expression }}, {{ fraction }})
{%- endmacro %}


{% macro not_materialized() %}
  {#- Written after `name as` in an import CTE that several branches read.
      DuckDB and PostgreSQL otherwise materialise a CTE read more than once:
      a full copy of the table before the first branch starts (at 10M rows
      that copy was 45% of the drift histograms' time). Spark always
      inlines, and has no such keyword. -#}
  {{ return(adapter.dispatch('not_materialized', 'model_drift')()) }}
{% endmacro %}

{% macro default__not_materialized() -%} not materialized {%- endmacro %}
{% macro spark__not_materialized() -%} {%- endmacro %}


{% macro percentiles_cont(expression, fractions) %}
  {#- A list of SQL expressions, the interpolated percentile of `expression` at
      each of `fractions`, for one GROUP BY. -#}
  {{ return(adapter.dispatch('percentiles_cont', 'model_drift')(expression, fractions)) }}
{% endmacro %}

{% macro default__percentiles_cont(expression, fractions) %}
  {%- set found = [] -%}
  {%- for fraction in fractions -%}{%- do found.append(model_drift.percentile_cont(expression, fraction)) -%}{%- endfor -%}
  {{ return(found) }}
{% endmacro %}

{% macro duckdb__percentiles_cont(expression, fractions) %}
  {#- one list quantile, indexed: DuckDB binds the repeated aggregate once, so
      the values are ordered once for all fractions (the same numbers as one
      quantile_cont per fraction, in about 60% of the time) -#}
  {%- set together = 'quantile_cont(' ~ expression ~ ', [' ~ fractions | join(', ') ~ '])' -%}
  {%- set found = [] -%}
  {%- for fraction in fractions -%}{%- do found.append(together ~ '[' ~ loop.index ~ ']') -%}{%- endfor -%}
  {{ return(found) }}
{% endmacro %}


{% macro period_spine(period, start_expression, end_expression) %}
  {#- One row per period start from start to end inclusive, as column period_start. -#}
  {{ return(adapter.dispatch('period_spine', 'model_drift')(period, start_expression, end_expression)) }}
{% endmacro %}

{% macro default__period_spine(period, start_expression, end_expression) -%}
  select generate_series({{ start_expression }}, {{ end_expression }}, interval '1 {{ period }}') as period_start
{%- endmacro %}

{% macro duckdb__period_spine(period, start_expression, end_expression) -%}
  select unnest(generate_series({{ start_expression }}, {{ end_expression }}, interval '1 {{ period }}')) as period_start
{%- endmacro %}

{% macro spark__period_spine(period, start_expression, end_expression) -%}
  select explode(sequence({{ start_expression }}, {{ end_expression }}, interval 1 {{ period }})) as period_start
{%- endmacro %}


{% macro hours_between(start_expression, end_expression) %}
  {{ return(adapter.dispatch('hours_between', 'model_drift')(start_expression, end_expression)) }}
{% endmacro %}

{% macro default__hours_between(start_expression, end_expression) -%}
  (extract(epoch from ({{ end_expression }} - {{ start_expression }})) / 3600.0)
{%- endmacro %}

{% macro duckdb__hours_between(start_expression, end_expression) -%}
  ((epoch({{ end_expression }}) - epoch({{ start_expression }})) / 3600.0)
{%- endmacro %}

{% macro spark__hours_between(start_expression, end_expression) -%}
  ({{ model_drift.to_double('unix_micros(cast(' ~ end_expression ~ ' as timestamp)) - unix_micros(cast(' ~ start_expression ~ ' as timestamp))') }} / 3600000000)
{%- endmacro %}


{% macro iso_day_of_week(expression) %}
  {#- 1 = Monday ... 7 = Sunday. -#}
  {{ return(adapter.dispatch('iso_day_of_week', 'model_drift')(expression)) }}
{% endmacro %}

{% macro default__iso_day_of_week(expression) -%}
  cast(extract(isodow from {{ expression }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__iso_day_of_week(expression) -%}
  (pmod(dayofweek({{ expression }}) + 5, 7) + 1)
{%- endmacro %}


{% macro format_number(expression, decimals=0) %}
  {#- A number as text for the plain-words answers, rounded to `decimals`. -#}
  {{ return(adapter.dispatch('format_number', 'model_drift')(expression, decimals)) }}
{% endmacro %}

{% macro default__format_number(expression, decimals=0) -%}
  cast(round(cast({{ expression }} as numeric(38, 6)), {{ decimals }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__format_number(expression, decimals=0) -%}
  format('{:,.{{ decimals }}f}', cast({{ expression }} as double))
{%- endmacro %}

{#- the same text as DuckDB's: thousands separated by commas, a point before the decimals -#}
{% macro postgres__format_number(expression, decimals=0) -%}
  to_char(cast({{ expression }} as double precision), 'FM999,999,999,999,999,990{{ "." ~ "0" * decimals if decimals > 0 else "" }}')
{%- endmacro %}

{% macro spark__format_number(expression, decimals=0) -%}
  format_number(cast({{ expression }} as double), {{ decimals }})
{%- endmacro %}


{% macro day_name(iso_day_expression) -%}
  case {{ iso_day_expression }}
    when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
    when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday'
    when 7 then 'Sunday'
  end
{%- endmacro %}


{% macro to_double(expression) -%}
  {#- An expression as a 64-bit float. Use it for ratios of counts instead of
      `* 1.0`: 1.0 is a DECIMAL literal, and Spark divides decimals at a
      fixed scale (as few as 6 digits), PostgreSQL as numeric. -#}
  cast({{ expression }} as {{ model_drift.type_double() }})
{%- endmacro %}


{% macro type_double() %}
  {#- A 64-bit float. dbt.type_float() is a 32-bit FLOAT on DuckDB, too coarse for metrics. -#}
  {{ return(adapter.dispatch('type_double', 'model_drift')()) }}
{% endmacro %}

{% macro default__type_double() -%} double precision {%- endmacro %}
{% macro duckdb__type_double() -%} double {%- endmacro %}
{% macro spark__type_double() -%} double {%- endmacro %}


{#- Names and text from the user's data (column names, a positive class)
    reach the SQL only through these two macros, so no name can end a quoted
    identifier or a string early. dbt's adapter.quote does not escape an
    embedded quote character. -#}

{% macro quote_name(name) %}
  {{ return(adapter.dispatch('quote_name', 'model_drift')(name)) }}
{% endmacro %}

{% macro default__quote_name(name) -%}
  {{ return('"' ~ (name | string).replace('"', '""') ~ '"') }}
{%- endmacro %}

{% macro spark__quote_name(name) -%}
  {{ return('`' ~ (name | string).replace('`', '``') ~ '`') }}
{%- endmacro %}


{% macro string_literal(text) %}
  {{ return(adapter.dispatch('string_literal', 'model_drift')(text)) }}
{% endmacro %}

{% macro default__string_literal(text) -%}
  {#- standard SQL: a quote is doubled; backslashes are ordinary characters
      (PostgreSQL's standard_conforming_strings, DuckDB) -#}
  {{ return("'" ~ (text | string).replace("'", "''") ~ "'") }}
{%- endmacro %}

{% macro spark__string_literal(text) -%}
  {#- Spark reads backslash escapes, and '' there is two adjacent literals -#}
  {{ return("'" ~ (text | string).replace('\\', '\\\\').replace("'", "\\'") ~ "'") }}
{%- endmacro %}


{% macro finite_or_null(expression) -%}
  {#- The value when it is a finite number; null for inf, -inf and NaN (NaN
      sorts above +inf on DuckDB, PostgreSQL and Spark, so it fails "< inf"). -#}
  case when {{ expression }} > cast('-Infinity' as {{ model_drift.type_double() }})
        and {{ expression }} < cast('Infinity' as {{ model_drift.type_double() }}) then {{ expression }} end
{%- endmacro %}


{% macro hash_fraction(expressions) %}
  {#- A number in [0, 1] fixed by the values of `expressions` (a list of SQL
      expressions): a 64-bit hash of them, scaled. Rows with equal values get
      equal numbers on every run, so a filter on it is a deterministic
      sample. Each engine uses its own hash function, so the numbers (not
      their uniformity) differ between engines. -#}
  {{ return(adapter.dispatch('hash_fraction', 'model_drift')(expressions)) }}
{% endmacro %}

{#- hashtextextended (PostgreSQL 11+) of the row's text form: signed 64 bits. -#}
{% macro default__hash_fraction(expressions) -%}
  (hashtextextended(row({{ expressions | join(', ') }})::text, 0)::float8 + 9223372036854775808.0)
    / 18446744073709551616.0
{%- endmacro %}

{#- hash(): unsigned 64 bits. -#}
{% macro duckdb__hash_fraction(expressions) -%}
  cast(hash({{ expressions | join(', ') }}) as double) / 18446744073709551616.0
{%- endmacro %}

{#- xxhash64 (Spark's hash() has only 32 bits): signed 64 bits. -#}
{% macro spark__hash_fraction(expressions) -%}
  (cast(xxhash64({{ expressions | join(', ') }}) as double) + 9223372036854775808.0)
    / 18446744073709551616.0
{%- endmacro %}
