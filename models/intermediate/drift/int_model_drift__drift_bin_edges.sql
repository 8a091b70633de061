{#- Reference-quantile bin edges of every numeric column followed for drift.
    Edge k is the largest reference value in the k-th of var
    model_drift_drift_bins equal-count buckets (the k/bins quantile, lower
    value), so bins are (previous edge, edge]; equal edges (ties) collapse.
    The deciles among them (is_decile_edge, the largest value of each tenth
    of the reference by rank) are the PSI / Jensen-Shannon bins. Reference: the fixed window of var model_drift_reference, or every
    row when it is trailing. From the overall slice, so every segment is
    binned alike. -#}
{%- set s = model_drift.settings() -%}
{%- set bins = s.drift_bins -%}
{%- set numeric = model_drift.drift_columns(ref('int_model_drift__observations_cleaned'))
    | selectattr('type', 'equalto', 'numeric') | list -%}

with observations as (

    select * from {{ ref('int_model_drift__observations_cleaned') }}
    where {{ model_drift.reference_condition('period_start') }}

),

buckets as (

    {% for column in numeric -%}
    select
        {{ model_drift.string_literal(column.name) }} as feature_name,
        value,
        {#- bucket k holds ranks in ((k-1) n / bins, k n / bins]; deciles likewise with 10 -#}
        cast(
            ceil({{ model_drift.to_double('row_number() over (order by value) * ' ~ bins) }} / count(*) over ())
            as {{ dbt.type_int() }}
        ) as bucket,
        cast(
            ceil({{ model_drift.to_double('row_number() over (order by value) * 10') }} / count(*) over ())
            as {{ dbt.type_int() }}
        ) as decile
    from (
        select cast({{ model_drift.quote_name(column.name) }} as {{ model_drift.type_double() }}) as value
        from observations
        where {{ model_drift.quote_name(column.name) }} is not null
    ) as values_of_{{ loop.index }}
    union all
    {% endfor -%}
    {#- named, so the union has these columns even with no numeric column -#}
    select
        cast(null as {{ dbt.type_string() }}) as feature_name,
        cast(null as {{ model_drift.type_double() }}) as value,
        cast(null as {{ dbt.type_int() }}) as bucket,
        cast(null as {{ dbt.type_int() }}) as decile
    where 1 = 0

),

bucket_edges as (

    select feature_name, max(value) as upper_edge
    from buckets
    group by feature_name, bucket

),

{# each decile's largest value is also some bucket's largest value (every
    value sits in a bucket), so deciles are a subset of the edges, even when
    the reference has fewer values than bins; distinct, as two deciles can
    end at the same value -#}
decile_edges as (

    select distinct feature_name, max(value) as upper_edge  -- noqa: AM01
    from buckets
    group by feature_name, decile

),

final as (

    select
        cast(bucket_edges.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(
            row_number() over (partition by bucket_edges.feature_name order by bucket_edges.upper_edge)
            as {{ dbt.type_int() }}
        ) as edge_number,
        cast(bucket_edges.upper_edge as {{ model_drift.type_double() }}) as upper_edge,
        decile_edges.upper_edge is not null as is_decile_edge
    from (select distinct feature_name, upper_edge from bucket_edges) as bucket_edges
    left join decile_edges
        on bucket_edges.feature_name = decile_edges.feature_name
        and bucket_edges.upper_edge = decile_edges.upper_edge

)

select * from final
