{#- Helpers for the drift models. -#}

{% macro bin_edges(relation) %}
  {#- {feature_name: [edge literal, ...]} from `relation`
      (int_model_drift__drift_bin_edges), read when the model runs. Edges come
      back as text so no precision is lost on the way into the SQL. -#}
  {%- set found = {} -%}
  {%- if not execute -%}{%- do return(found) -%}{%- endif -%}
  {%- set rows = run_query(
      "select feature_name, cast(upper_edge as " ~ dbt.type_string() ~ ") from "
      ~ relation ~ " order by feature_name, edge_number").rows -%}
  {%- for row in rows -%}
    {%- if row[0] not in found -%}{%- do found.update({row[0]: []}) -%}{%- endif -%}
    {%- do found[row[0]].append(row[1]) -%}
  {%- endfor -%}
  {%- do return(found) -%}
{% endmacro %}


{% macro drift_buckets(observations, columns, edges_relation) %}
  {#- The body of a CTE: per slice, period and followed column of
      `observations`, how many non-null values fall in each bucket.
      Numeric, with the column's n edges of `edges_relation`: bucket 2k
      holds the values strictly between edge k and edge k + 1 (below the
      first edge for k = 0, above the last for k = n), bucket 2k - 1 the
      values equal to edge k; buckets 0 and 2n also carry the sum, min and
      max of their values. Categorical: one row per category. Columns:
      segment_column, segment_value, period_start, feature_name, bucket
      (null when categorical), category (text; null when numeric),
      value_count, tail_sum, tail_min, tail_max. Only non-empty buckets. -#}
  {{ return(adapter.dispatch('drift_buckets', 'model_drift')(observations, columns, edges_relation)) }}
{% endmacro %}

{% macro default__drift_buckets(observations, columns, edges_relation) %}
    {#- one GROUP BY per column, the bucket from model_drift.bucket_number -#}
    {%- set edges = model_drift.bin_edges(edges_relation) -%}
    {% for column in columns -%}
    {%- set quoted = model_drift.quote_name(column.name) -%}
    {%- if column.type == 'numeric' -%}
    {%- set value = 'cast(' ~ quoted ~ ' as ' ~ model_drift.type_double() ~ ')' -%}
    {%- set last_bucket = 2 * edges.get(column.name, []) | length -%}
    select
        segment_column,
        segment_value,
        period_start,
        feature_name,
        bucket,
        category,
        value_count,
        case when bucket in (0, {{ last_bucket }}) then tail_sum end as tail_sum,
        case when bucket in (0, {{ last_bucket }}) then tail_min end as tail_min,
        case when bucket in (0, {{ last_bucket }}) then tail_max end as tail_max
    from (
        select
            segment_column,
            segment_value,
            period_start,
            {{ model_drift.string_literal(column.name) }} as feature_name,
            {{ model_drift.bucket_number(value, edges.get(column.name, [])) }} as bucket,
            cast(null as {{ dbt.type_string() }}) as category,
            count(*) as value_count,
            sum({{ value }}) as tail_sum,
            min({{ value }}) as tail_min,
            max({{ value }}) as tail_max
        from {{ observations }}
        where {{ quoted }} is not null
        group by segment_column, segment_value, period_start, 4, 5, 6
    ) as buckets_of_{{ loop.index }}
    {%- else -%}
    select
        segment_column,
        segment_value,
        period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        cast(null as {{ dbt.type_int() }}) as bucket,
        cast({{ quoted }} as {{ dbt.type_string() }}) as category,
        count(*) as value_count,
        cast(null as {{ model_drift.type_double() }}) as tail_sum,
        cast(null as {{ model_drift.type_double() }}) as tail_min,
        cast(null as {{ model_drift.type_double() }}) as tail_max
    from {{ observations }}
    where {{ quoted }} is not null
    group by segment_column, segment_value, period_start, 4, 5, 6
    {%- endif %}
    union all
    {% endfor -%}
    {{ model_drift._no_buckets() }}
{% endmacro %}

{% macro duckdb__drift_buckets(observations, columns, edges_relation) %}
    {#- histogram(value, boundaries) per numeric column (a binary search
        inside the aggregate, about 2.5x cheaper than the default's CASE
        expressions) and histogram(value) per categorical one, the maps
        unnested into rows. The boundaries are, per edge, the double just
        below it and the edge itself, so the histogram's buckets are the
        default's; the map lists every boundary in order (empty ones too),
        then the values above the last (bucket 2n) when there are any. Two
        edges one double apart share a boundary, so the bucket of each
        boundary is read with it. -#}
    {%- set buckets = {} -%}
    {%- if execute -%}
    {%- for row in run_query(
        "select feature_name, cast(boundary as varchar), min(bucket) from ("
        ~ " select feature_name, nextafter(upper_edge, cast('-infinity' as double)) as boundary, 2 * edge_number - 2 as bucket from " ~ edges_relation
        ~ " union all select feature_name, upper_edge, 2 * edge_number - 1 from " ~ edges_relation
        ~ ") as boundaries group by 1, 2 order by 1, min(bucket)").rows -%}
    {%- if row[0] not in buckets -%}{%- do buckets.update({row[0]: {'boundaries': [], 'buckets': []}}) -%}{%- endif -%}
    {%- do buckets[row[0]].boundaries.append(row[1]) -%}
    {%- do buckets[row[0]].buckets.append(row[2]) -%}
    {%- endfor -%}
    {%- endif -%}
    {%- for column in columns if column.type == 'numeric' -%}
    {%- set found = buckets.get(column.name, {'boundaries': [], 'buckets': []}) -%}
    {#- the bucket above the last edge; 0 when there are no edges -#}
    {%- do found.update({'last': (found.buckets[-1] + 1) if found.buckets else 0}) -%}
    {%- do buckets.update({column.name: found}) -%}
    {%- endfor -%}
    {#- one GROUP BY per column: measured faster than one GROUP BY holding
        every column's histogram -#}
    {% for column in columns -%}
    {%- set quoted = model_drift.quote_name(column.name) -%}
    {%- if column.type == 'numeric' -%}
    {%- set value = 'cast(' ~ quoted ~ ' as double)' -%}
    {%- set found = buckets[column.name] -%}
    {%- if found.boundaries -%}
    {%- set counts = 'histogram(' ~ value ~ ', [cast(' ~ found.boundaries | join(' as double), cast(') ~ ' as double)])' -%}
    {%- set below = value ~ ' < cast(' ~ found.boundaries[1] ~ ' as double)' -%}
    {%- set above = value ~ ' > cast(' ~ found.boundaries[-1] ~ ' as double)' -%}
    {%- else -%}
    {%- set counts = 'map([0.0], [count(' ~ value ~ ')])' -%}
    {%- set below, above = 'true', 'true' -%}
    {%- endif -%}
    select
        segment_column, segment_value, period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        cast(bucket as integer) as bucket,
        cast(null as varchar) as category,
        value_count,
        case when bucket = 0 then below_sum when bucket = {{ found.last }} then above_sum end as tail_sum,
        case when bucket = 0 then below_min when bucket = {{ found.last }} then above_min end as tail_min,
        case when bucket = 0 then below_max when bucket = {{ found.last }} then above_max end as tail_max
    from (
        select
            segment_column, segment_value, period_start,
            unnest(map_values(counts)) as value_count,
            unnest([{{ (found.buckets + [found.last]) | join(', ') }}][1:len(map_values(counts))]) as bucket,
            below_sum, below_min, below_max, above_sum, above_min, above_max
        from (
            select
                segment_column, segment_value, period_start,
                {{ counts }} as counts,
                sum({{ value }}) filter (where {{ below }}) as below_sum,
                min({{ value }}) filter (where {{ below }}) as below_min,
                max({{ value }}) filter (where {{ below }}) as below_max,
                sum({{ value }}) filter (where {{ above }}) as above_sum,
                min({{ value }}) filter (where {{ above }}) as above_min,
                max({{ value }}) filter (where {{ above }}) as above_max
            from {{ observations }}
            where {{ quoted }} is not null
            group by segment_column, segment_value, period_start
        ) as histograms_of_{{ loop.index }}
    ) as buckets_of_{{ loop.index }}
    where value_count > 0
    {%- else -%}
    select
        segment_column, segment_value, period_start,
        {{ model_drift.string_literal(column.name) }} as feature_name,
        cast(null as integer) as bucket,
        unnest(map_keys(counts)) as category,
        unnest(map_values(counts)) as value_count,
        cast(null as double) as tail_sum,
        cast(null as double) as tail_min,
        cast(null as double) as tail_max
    from (
        select segment_column, segment_value, period_start, histogram(cast({{ quoted }} as varchar)) as counts
        from {{ observations }}
        where {{ quoted }} is not null
        group by segment_column, segment_value, period_start
    ) as histograms_of_{{ loop.index }}
    {%- endif %}
    union all
    {% endfor -%}
    {{ model_drift._no_buckets() }}
{% endmacro %}


{% macro _no_buckets() %}
    {#- named, so the union has these columns even with no followed column -#}
    select
        cast(null as {{ dbt.type_string() }}) as segment_column,
        cast(null as {{ dbt.type_string() }}) as segment_value,
        cast(null as {{ dbt.type_timestamp() }}) as period_start,
        cast(null as {{ dbt.type_string() }}) as feature_name,
        cast(null as {{ dbt.type_int() }}) as bucket,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(0 as {{ dbt.type_bigint() }}) as value_count,
        cast(null as {{ model_drift.type_double() }}) as tail_sum,
        cast(null as {{ model_drift.type_double() }}) as tail_min,
        cast(null as {{ model_drift.type_double() }}) as tail_max
    where 1 = 0
{% endmacro %}


{% macro bucket_number(value, edges) %}
  {#- Bucket j in 0 .. 2n of `value` for the sorted `edges` (see
      drift_buckets): how many of the conditions value >= edge_1,
      value > edge_1, value >= edge_2, ... hold. -#}
  {{ return(adapter.dispatch('bucket_number', 'model_drift')(value, edges)) }}
{% endmacro %}

{% macro default__bucket_number(value, edges) %}
  {#- A binary search written as nested CASEs over those 2n conditions, so
      binning is a few comparisons per value on any engine, with no join. -#}
  {%- set conditions = [] -%}
  {%- for edge in edges -%}
    {%- do conditions.append(' >= cast(' ~ edge ~ ' as ' ~ model_drift.type_double() ~ ')') -%}
    {%- do conditions.append(' > cast(' ~ edge ~ ' as ' ~ model_drift.type_double() ~ ')') -%}
  {%- endfor -%}
  {%- if conditions | length == 0 -%}{{ return('0') }}{%- endif -%}
  {{ return(model_drift._bucket_search(value, conditions, 0, conditions | length)) }}
{% endmacro %}

{% macro postgres__bucket_number(value, edges) %}
  {#- width_bucket(x, thresholds) counts the thresholds <= x, a binary
      search; on the negated value and edges it counts those < x -#}
  {%- if edges | length == 0 -%}{{ return('0') }}{%- endif -%}
  {%- set ascending = [] -%}{%- set negated = [] -%}
  {%- for edge in edges -%}{%- do ascending.append(edge) -%}{%- endfor -%}
  {%- for edge in edges | reverse -%}{%- do negated.append('-(' ~ edge ~ ')') -%}{%- endfor -%}
  {{ return('(width_bucket(' ~ value ~ ', array[' ~ ascending | join(', ') ~ ']::double precision[]) + '
            ~ edges | length ~ ' - width_bucket(-' ~ value ~ ', array[' ~ negated | join(', ')
            ~ ']::double precision[]))') }}
{% endmacro %}

{% macro _bucket_search(value, conditions, low, high) %}
  {#- the answer is in [low, high]; conditions[mid] is the (mid + 1)-th -#}
  {%- if low == high -%}{{ return(low | string) }}{%- endif -%}
  {%- set mid = (low + high) // 2 -%}
  {{ return('case when ' ~ value ~ conditions[mid] ~ ' then '
            ~ model_drift._bucket_search(value, conditions, mid + 1, high) ~ ' else '
            ~ model_drift._bucket_search(value, conditions, low, mid) ~ ' end') }}
{% endmacro %}

{% macro reference_edges(observations, columns, bins) %}
  {#- The body of a CTE: for each numeric column of `observations`, the
      largest value of each of `bins` equal-count buckets by rank (bucket k
      holds ranks ((k - 1) n / bins, k n / bins], so it ends at rank
      floor(k n / bins)), flagged is_decile_edge when bucket k ends a tenth
      (k a multiple of bins / 10). An empty bucket (n < bins) repeats the
      previous end. Columns: feature_name, upper_edge, is_decile_edge. -#}
  {{ return(adapter.dispatch('reference_edges', 'model_drift')(observations, columns, bins)) }}
{% endmacro %}

{% macro default__reference_edges(observations, columns, bins) %}
    {#- each value ranked by a window; the bucket and decile of rank r are
        ceil(r bins / n) and ceil(r 10 / n) -#}
    select feature_name, max(value) as upper_edge, max(is_decile_end) = 1 as is_decile_edge
    from (
        {% for column in columns -%}
        select
            {{ model_drift.string_literal(column.name) }} as feature_name,
            value,
            cast(
                ceil({{ model_drift.to_double('row_number() over (order by value) * ' ~ bins) }} / count(*) over ())
                as {{ dbt.type_int() }}
            ) as bucket,
            case
                when ceil({{ model_drift.to_double('row_number() over (order by value) * 10') }} / count(*) over ())
                    < ceil({{ model_drift.to_double('(row_number() over (order by value) + 1) * 10') }} / count(*) over ())
                    or row_number() over (order by value) = count(*) over ()
                then 1 else 0
            end as is_decile_end
        from (
            select cast({{ model_drift.quote_name(column.name) }} as {{ model_drift.type_double() }}) as value
            from {{ observations }}
            where {{ model_drift.quote_name(column.name) }} is not null
        ) as values_of_{{ loop.index }}
        union all
        {% endfor -%}
        {#- named, so the union has these columns even with no numeric column -#}
        select
            cast(null as {{ dbt.type_string() }}) as feature_name,
            cast(null as {{ model_drift.type_double() }}) as value,
            cast(null as {{ dbt.type_int() }}) as bucket,
            0 as is_decile_end
        where 1 = 0
    ) as ranked
    group by feature_name, bucket
{% endmacro %}

{% macro duckdb__reference_edges(observations, columns, bins) %}
    {#- the sorted values as one list per column, read at rank floor(k n /
        bins) for every k: one sort, no window (about 4x faster) -#}
    {% for column in columns -%}
    select
        {{ model_drift.string_literal(column.name) }} as feature_name,
        sorted[(bucket * value_count) // {{ bins }}] as upper_edge,
        bucket % {{ bins // 10 }} = 0 as is_decile_edge
    from (
        select list_sort(list(cast({{ model_drift.quote_name(column.name) }} as double))) as sorted, count(*) as value_count
        from {{ observations }}
        where {{ model_drift.quote_name(column.name) }} is not null
    ) as values_of_{{ loop.index }}
    cross join range(1, {{ bins + 1 }}) as buckets (bucket)
    where (bucket * value_count) // {{ bins }} >= 1
    union all
    {% endfor -%}
    select cast(null as varchar) as feature_name, cast(null as double) as upper_edge, false as is_decile_edge
    where 1 = 0
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


{% macro period_percentiles(observations, columns, fractions, histograms_relation, edges_relation) %}
  {#- The body of a CTE, or '' where the engine's own percentile_cont is
      used in the period stats' GROUP BY (the default): per slice, period
      and numeric column of `observations`, the interpolated percentiles at
      `fractions` (the same numbers as percentile_cont). One row per slice,
      period and column: segment_column, segment_value, period_start,
      feature_name, value_percentiles (a list in the order of `fractions`). -#}
  {{ return(adapter.dispatch('period_percentiles', 'model_drift')(
      observations, columns, fractions, histograms_relation, edges_relation)) }}
{% endmacro %}

{% macro default__period_percentiles(observations, columns, fractions, histograms_relation, edges_relation) %}
{% endmacro %}

{% macro duckdb__period_percentiles(observations, columns, fractions, histograms_relation, edges_relation) %}
    {#- Exact, in two passes, because DuckDB keeps every column's quantile
        state (all its values) alive until the whole UNION ALL ends: at 100M
        rows that ran out of a 5 GB memory limit. The fine histogram's
        cumulative counts give, per percentile, the bins holding its two
        ranks floor / ceil(p (n - 1)); only the values inside those bins
        (about 1 / model_drift_drift_bins of the period when it looks like
        the reference) are gathered and sorted, and read at their ranks
        within the bracket. A period whose values mostly fall in one bin
        gathers all of them: exact still, but then the memory is the
        period's. -#}
    {%- set numeric = columns | selectattr('type', 'equalto', 'numeric') | list -%}
    {%- if not numeric -%}
    {{ return('') }}
    {%- endif -%}
    with fractions (fraction_number, fraction) as (
        values {% for fraction in fractions %}({{ loop.index }}, cast({{ fraction }} as double)){{ ', ' if not loop.last }}{% endfor %}
    ),

    bins as (
        select
            histograms.segment_column, histograms.segment_value, histograms.period_start, histograms.feature_name,
            histograms.value_count,
            coalesce(lowers.upper_edge, cast('-infinity' as double)) as lower_edge,
            coalesce(uppers.upper_edge, cast('infinity' as double)) as upper_edge,
            cast(sum(histograms.value_count) over periods as bigint) as through_count,
            cast(sum(histograms.value_count) over (
                partition by histograms.segment_column, histograms.segment_value,
                    histograms.period_start, histograms.feature_name
            ) as bigint) as period_count
        from {{ histograms_relation }} as histograms
        left join {{ edges_relation }} as lowers
            on histograms.feature_name = lowers.feature_name and histograms.bin_number = lowers.edge_number
        left join {{ edges_relation }} as uppers
            on histograms.feature_name = uppers.feature_name and histograms.bin_number + 1 = uppers.edge_number
        where histograms.category is null
        window periods as (
            partition by histograms.segment_column, histograms.segment_value,
                histograms.period_start, histograms.feature_name
            order by histograms.bin_number
            rows between unbounded preceding and current row
        )
    ),

    {#- 0-based ranks as quantile_cont reads them: position p (n - 1) -#}
    ranks as (
        select
            bins.segment_column, bins.segment_value, bins.period_start, bins.feature_name,
            bins.value_count, bins.lower_edge, bins.upper_edge, bins.through_count,
            fractions.fraction_number,
            fractions.fraction * (bins.period_count - 1) as position,
            cast(floor(fractions.fraction * (bins.period_count - 1)) as bigint) as low_rank,
            cast(ceil(fractions.fraction * (bins.period_count - 1)) as bigint) as high_rank
        from bins
        cross join fractions
    ),

    {#- the bins holding rank low_rank or high_rank: bin ranks run from
        through_count - value_count to through_count - 1 -#}
    brackets as (
        select
            segment_column, segment_value, period_start, feature_name, fraction_number,
            any_value(position) as position,
            any_value(low_rank) as low_rank,
            any_value(high_rank) as high_rank,
            min(lower_edge) as lower_edge,
            max(upper_edge) as upper_edge,
            min(through_count - value_count) as ranks_below
        from ranks
        where through_count > low_rank and through_count - value_count <= high_rank
        group by 1, 2, 3, 4, 5
    ),

    bracket_values as (
        {% for column in numeric -%}
        {%- set value = 'cast(observations.' ~ model_drift.quote_name(column.name) ~ ' as double)' -%}
        select
            brackets.segment_column, brackets.segment_value, brackets.period_start, brackets.feature_name,
            brackets.fraction_number, {{ value }} as value
        from {{ observations }} as observations
        inner join brackets
            on brackets.feature_name = {{ model_drift.string_literal(column.name) }}
            and observations.segment_column = brackets.segment_column
            and observations.segment_value = brackets.segment_value
            and observations.period_start = brackets.period_start
        where {{ value }} > brackets.lower_edge and {{ value }} <= brackets.upper_edge
        {{ 'union all' if not loop.last }}
        {% endfor -%}
    ),

    sorted_brackets as (
        select segment_column, segment_value, period_start, feature_name, fraction_number, list_sort(list(value)) as sorted
        from bracket_values
        group by 1, 2, 3, 4, 5
    )

    select
        brackets.segment_column, brackets.segment_value, brackets.period_start, brackets.feature_name,
        list(case
            when brackets.high_rank = brackets.low_rank
            then sorted_brackets.sorted[brackets.low_rank - brackets.ranks_below + 1]
            else
                sorted_brackets.sorted[brackets.low_rank - brackets.ranks_below + 1]
                + (brackets.position - brackets.low_rank) * (
                    sorted_brackets.sorted[brackets.high_rank - brackets.ranks_below + 1]
                    - sorted_brackets.sorted[brackets.low_rank - brackets.ranks_below + 1]
                )
        end order by brackets.fraction_number) as value_percentiles
    from brackets
    inner join sorted_brackets
        on brackets.segment_column = sorted_brackets.segment_column
        and brackets.segment_value = sorted_brackets.segment_value
        and brackets.period_start = sorted_brackets.period_start
        and brackets.feature_name = sorted_brackets.feature_name
        and brackets.fraction_number = sorted_brackets.fraction_number
    group by 1, 2, 3, 4
{% endmacro %}
