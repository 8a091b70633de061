{#- Helpers for the drift models. -#}

{% macro bin_edges(relation) %}
  {#- {feature_name: {'edges': [edge literal, ...], 'deciles': [...]}} from
      `relation` (int_model_drift__drift_bin_edges), read when the model runs. Edges come
      back as text so no precision is lost on the way into the SQL. -#}
  {%- set found = {} -%}
  {%- if not execute -%}{%- do return(found) -%}{%- endif -%}
  {%- set rows = run_query(
      "select feature_name, cast(upper_edge as " ~ dbt.type_string() ~ "), is_decile_edge from "
      ~ relation ~ " order by feature_name, edge_number").rows -%}
  {%- for row in rows -%}
    {%- if row[0] not in found -%}{%- do found.update({row[0]: {'edges': [], 'deciles': []}}) -%}{%- endif -%}
    {%- do found[row[0]].edges.append(row[1]) -%}
    {%- if row[2] -%}{%- do found[row[0]].deciles.append(row[1]) -%}{%- endif -%}
  {%- endfor -%}
  {%- do return(found) -%}
{% endmacro %}


{% macro bin_number(value, edges) %}
  {#- How many of the sorted `edges` lie below `value`: the bin (edge_k, edge_k+1]
      a value falls in, 0 .. len(edges). A binary search written as nested
      CASEs, so binning is a few comparisons per value on any engine, with
      no join and no sort. -#}
  {%- if edges | length == 0 -%}{{ return('0') }}{%- endif -%}
  {{ return(model_drift._bin_search(value, edges, 0, edges | length)) }}
{% endmacro %}

{% macro _bin_search(value, edges, low, high) %}
  {#- the answer is in [low, high]; edges[mid] is the (mid + 1)-th edge -#}
  {%- if low == high -%}{{ return(low | string) }}{%- endif -%}
  {%- set mid = (low + high) // 2 -%}
  {{ return('case when ' ~ value ~ ' > cast(' ~ edges[mid] ~ ' as ' ~ model_drift.type_double() ~ ') then '
            ~ model_drift._bin_search(value, edges, mid + 1, high) ~ ' else '
            ~ model_drift._bin_search(value, edges, low, mid) ~ ' end') }}
{% endmacro %}


{% macro ks_p_value(statistic, n_current, n_reference) %}
  {#- Asymptotic two-sample KS p-value: the Kolmogorov series
      2 sum (-1)^(k-1) exp(-2 k^2 lambda^2) at Stephens' (1970)
      lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D, ne = n m / (n + m).
      Below lambda = 0.3 the series is 1 to within 1e-5, and it is taken as 1. -#}
  {%- set ne = '(' ~ model_drift.to_double(n_current) ~ ' * ' ~ n_reference ~ ' / (' ~ n_current ~ ' + ' ~ n_reference ~ '))' -%}
  {%- set lam = '((sqrt(' ~ ne ~ ') + 0.12 + 0.11 / sqrt(' ~ ne ~ ')) * ' ~ statistic ~ ')' -%}
  {%- set terms = [] -%}
  {%- for k in range(1, 21) -%}
    {#- exponents floored at -700 (e^-700 ~ 1e-304): PostgreSQL raises on a
        double that underflows, and so small a term changes nothing -#}
    {%- do terms.append(('+' if k % 2 == 1 else '-') ~ ' exp(-least(700.0, 2.0 * ' ~ k * k ~ ' * ' ~ lam ~ ' * ' ~ lam ~ '))') -%}
  {%- endfor -%}
  {{ return('case when ' ~ n_current ~ ' > 0 and ' ~ n_reference ~ ' > 0 then case when ' ~ lam ~ ' < 0.3 then 1.0 else least(1.0, greatest(0.0, 2 * (0 ' ~ terms | join(' ') ~ '))) end end') }}
{% endmacro %}
