{#- Reference-quantile bin edges of every numeric column followed for drift.
    Edge k is the largest reference value in the k-th of var
    model_drift_drift_bins equal-count buckets (the k/bins quantile, lower
    value), so bins are (previous edge, edge]; equal edges (ties) collapse.
    The deciles among them (is_decile_edge) are the PSI / Jensen-Shannon
    bins. Reference: the fixed window of var model_drift_reference, or every
    row when it is trailing. From the overall slice, so every segment is
    binned alike. -#}
{%- set s = model_drift.settings() -%}
{%- set bins = s.drift_bins -%}
{%- set numeric = model_drift.drift_columns(ref('int_model_drift__observations_cleaned')) | selectattr('type', 'equalto', 'numeric') | list -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_cleaned') }}
    where {{ model_drift.reference_condition('period_start') }}

),

buckets as (

    {% for column in numeric -%}
    select
        '{{ column.name }}' as feature_name,
        value,
        {#- bucket k holds ranks in ((k-1) n / bins, k n / bins] -#}
        cast(ceil(row_number() over (order by value) * {{ bins }}.0 / count(*) over ()) as {{ dbt.type_int() }}) as bucket
    from (
        select cast({{ adapter.quote(column.name) }} as {{ model_drift.type_double() }}) as value
        from observations
        where {{ adapter.quote(column.name) }} is not null
    ) as values_of_{{ loop.index }}
    union all
    {% endfor -%}
    select cast(null as {{ dbt.type_string() }}), cast(null as {{ model_drift.type_double() }}), cast(null as {{ dbt.type_int() }})
    where 1 = 0

),

bucket_edges as (

    select
        feature_name,
        max(value) as upper_edge,
        max(case when bucket % {{ bins // 10 }} = 0 then 1 else 0 end) as closes_decile
    from buckets
    group by feature_name, bucket

),

final as (

    select
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(row_number() over (partition by feature_name order by upper_edge) as {{ dbt.type_int() }}) as edge_number,
        cast(upper_edge as {{ model_drift.type_double() }}) as upper_edge,
        max(closes_decile) = 1 as is_decile_edge
    from bucket_edges
    group by feature_name, upper_edge

)

select * from final
