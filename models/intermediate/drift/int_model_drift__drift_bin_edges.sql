{#- Reference-quantile bin edges of every numeric column followed for drift.
    Edge k is the largest reference value in the k-th of var
    model_drift_drift_bins equal-count buckets (the k/bins quantile, lower
    value), so bins are (previous edge, edge]; equal edges (ties) collapse.
    The deciles among them (is_decile_edge, the largest value of each tenth
    of the reference by rank) are the PSI / Jensen-Shannon bins. Reference:
    the fixed window of var model_drift_reference, or every row when it is
    trailing. From the overall slice, so every segment is binned alike.
    A reference of more than var model_drift_drift_edge_max_rows rows is
    read as a deterministic hash sample of about that many (as the
    backtest's input is), so the sort's memory does not grow with the
    table: the edges of 2M sampled rows are within about 0.001 in rank of
    the whole reference's, a fifth of a 200-bin width, and every distance
    is still exact against the edges it uses. -#}
{%- set s = model_drift.settings() -%}
{%- set cap = s.drift_edge_max_rows -%}
{%- set numeric = model_drift.drift_columns(ref('int_model_drift__observations_cleaned'))
    | selectattr('type', 'equalto', 'numeric') | list -%}
{%- set key = model_drift.row_key(ref('int_model_drift__observations_cleaned'), 'reference') -%}

with reference as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_cleaned') }}
    where {{ model_drift.reference_condition('period_start') }}

),

reference_size as (

    select count(*) as reference_row_count
    from reference

),

observations as {{ model_drift.not_materialized() }} (

    select reference.*
    from reference
    cross join reference_size
    where reference_size.reference_row_count <= {{ cap }}
        or {{ model_drift.hash_fraction(key) }} * reference_size.reference_row_count < {{ cap }}

),

edges as (

    {{ model_drift.reference_edges('observations', numeric, s.drift_bins) }}

),

{# an edge value is a decile edge when any decile ends at it; distinct, as
    two buckets (or deciles) can end at the same value -#}
distinct_edges as (

    select
        feature_name,
        upper_edge,
        max(case when is_decile_edge then 1 else 0 end) = 1 as is_decile_edge
    from edges
    group by feature_name, upper_edge

),

final as (

    select
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(
            row_number() over (partition by feature_name order by upper_edge)
            as {{ dbt.type_int() }}
        ) as edge_number,
        cast(upper_edge as {{ model_drift.type_double() }}) as upper_edge,
        is_decile_edge
    from distinct_edges

)

select * from final
