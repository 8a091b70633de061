{#- For every slice, period and followed column, the count of its values in
    each bin (numeric: the fine reference-quantile bins; categorical: the top
    categories by name, the rest as '__other__'), with a sum, min and max
    per numeric bin. Every drift distance is computed from these rows.
    Values are counted per bucket by model_drift.drift_buckets (DuckDB: one
    histogram() scan for every column); a bin's sum, min and max are exact
    where the buckets know them (the two outer bins, and values equal to
    the bin's upper edge) and otherwise put its values strictly inside the
    bin at the bin's midpoint, between its edges: the published KS and
    Wasserstein error bounds cover that. The decile bin follows from the
    fine one (the deciles are a subset of the edges). Incremental (var
    model_drift_incremental): each row keeps the hash of the edges and top
    categories it was binned against, and a run whose reference differs
    (a first-periods reference still filling up) recomputes every period. -#}
{{ config(**model_drift.incremental_config(reference_dependent=true)) }}
{%- set reference_fingerprint = model_drift.reference_fingerprint(
    ref('int_model_drift__drift_bin_edges'), ref('int_model_drift__drift_top_categories')) -%}
{%- set columns = model_drift.drift_columns(ref('int_model_drift__observations_cleaned')) -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_segmented') }}
    where {{ model_drift.incremental_window(
        'period_start', ref('int_model_drift__observations_cleaned'), reference_fingerprint) }}

),

edges as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__drift_bin_edges') }}

),

top_categories as (

    select * from {{ ref('int_model_drift__drift_top_categories') }}

),

buckets as (

    {{ model_drift.drift_buckets('observations', columns, ref('int_model_drift__drift_bin_edges')) }}

),

{# bucket 2k (strictly inside) and 2k - 1 (on edge k) both belong to fine
    bin k - 1 .. k: bin k holds (edge k, edge k + 1] -#}
numeric_buckets as (

    select
        segment_column,
        segment_value,
        period_start,
        feature_name,
        cast(floor(bucket / 2.0) as {{ dbt.type_int() }}) as bin_number,
        sum(value_count) as value_count,
        sum(case when bucket % 2 = 1 then value_count else 0 end) as edge_count,
        sum(tail_sum) as tail_sum,
        min(tail_min) as tail_min,
        max(tail_max) as tail_max
    from buckets
    where bucket is not null
    group by 1, 2, 3, 4, 5

),

{# the fine bin k holds (edge k, edge k+1], so its values exceed exactly the
    decile edges among the first k edges: that count is its decile bin -#}
decile_of_bin as (

    select
        feature_name,
        edge_number as bin_number,
        sum(case when is_decile_edge then 1 else 0 end) over (
            partition by feature_name order by edge_number rows between unbounded preceding and current row
        ) as decile_bin_number
    from edges

),

numeric_bins as (

    select
        numeric_buckets.segment_column,
        numeric_buckets.segment_value,
        numeric_buckets.period_start,
        numeric_buckets.feature_name,
        numeric_buckets.bin_number,
        coalesce(decile_of_bin.decile_bin_number, 0) as decile_bin_number,
        cast(null as {{ dbt.type_string() }}) as category,
        numeric_buckets.value_count,
        {#- bin 0 (at most the first edge) and the last bin (above the last
            edge) know their values below / above the edges exactly -#}
        case
            when numeric_buckets.bin_number = 0
            then coalesce(numeric_buckets.tail_sum, 0) + coalesce(numeric_buckets.edge_count * uppers.upper_edge, 0)
            when uppers.upper_edge is null then numeric_buckets.tail_sum
            else
                (numeric_buckets.value_count - numeric_buckets.edge_count)
                * (lowers.upper_edge + uppers.upper_edge) / 2
                + numeric_buckets.edge_count * uppers.upper_edge
        end as value_sum,
        case
            when numeric_buckets.value_count = numeric_buckets.edge_count then uppers.upper_edge
            when numeric_buckets.bin_number = 0 or uppers.upper_edge is null then numeric_buckets.tail_min
            else lowers.upper_edge
        end as value_min,
        case
            when uppers.upper_edge is null then numeric_buckets.tail_max
            when numeric_buckets.edge_count > 0 then uppers.upper_edge
            when numeric_buckets.bin_number = 0 then numeric_buckets.tail_max
            else uppers.upper_edge
        end as value_max
    from numeric_buckets
    left join edges as lowers
        on numeric_buckets.feature_name = lowers.feature_name
        and numeric_buckets.bin_number = lowers.edge_number
    left join edges as uppers
        on numeric_buckets.feature_name = uppers.feature_name
        and numeric_buckets.bin_number + 1 = uppers.edge_number
    left join decile_of_bin
        on numeric_buckets.feature_name = decile_of_bin.feature_name
        and numeric_buckets.bin_number = decile_of_bin.bin_number

),

categorical_bins as (

    select
        buckets.segment_column,
        buckets.segment_value,
        buckets.period_start,
        buckets.feature_name,
        coalesce(top_categories.category_rank, 0) as bin_number,
        coalesce(top_categories.category_rank, 0) as decile_bin_number,
        coalesce(top_categories.category, '__other__') as category,
        sum(buckets.value_count) as value_count,
        cast(null as {{ model_drift.type_double() }}) as value_sum,
        cast(null as {{ model_drift.type_double() }}) as value_min,
        cast(null as {{ model_drift.type_double() }}) as value_max
    from buckets
    left join top_categories
        on buckets.feature_name = top_categories.feature_name
        and buckets.category = top_categories.category
    where buckets.category is not null
    group by 1, 2, 3, 4, 5, 6, 7

),

histograms as (

    select * from numeric_bins
    union all
    select * from categorical_bins

)

select
    cast(segment_column as {{ dbt.type_string() }}) as segment_column,
    cast(segment_value as {{ dbt.type_string() }}) as segment_value,
    cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
    cast(feature_name as {{ dbt.type_string() }}) as feature_name,
    cast(bin_number as {{ dbt.type_int() }}) as bin_number,
    cast(decile_bin_number as {{ dbt.type_int() }}) as decile_bin_number,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(value_count as {{ dbt.type_bigint() }}) as value_count,
    cast(value_sum as {{ model_drift.type_double() }}) as value_sum,
    cast(value_min as {{ model_drift.type_double() }}) as value_min,
    cast(value_max as {{ model_drift.type_double() }}) as value_max
{{ model_drift.incremental_columns(reference_fingerprint) }}
from histograms
