{#- The categories behind the categorical drift: per slice, column, period and
    category (the var model_drift_top_categories most frequent in the
    reference, then '__other__'), its share of the period's values and of
    the reference's. -#}
{%- set s = model_drift.settings() -%}

with pairs as (

    select * from {{ ref('int_model_drift__drift_bin_pairs') }}
    where category is not null

),

totals as (

    select
        segment_column, segment_value, feature_name, period_start,
        sum(current_count) as current_total, sum(reference_count) as reference_total
    from pairs
    group by 1, 2, 3, 4

),

final as (

    select
        cast(pairs.segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(pairs.segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(pairs.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(pairs.period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast(pairs.category as {{ dbt.type_string() }}) as category,
        cast(pairs.bin_number as {{ dbt.type_int() }}) as category_rank,
        cast(pairs.current_count as {{ dbt.type_bigint() }}) as value_count,
        cast(
            case
                when totals.current_total > 0
                then {{ model_drift.to_double('pairs.current_count') }} / totals.current_total
            end as {{ model_drift.type_double() }}
        ) as share,
        cast(pairs.reference_count as {{ dbt.type_bigint() }}) as reference_value_count,
        cast(
            case
                when totals.reference_total > 0
                then {{ model_drift.to_double('pairs.reference_count') }} / totals.reference_total
            end as {{ model_drift.type_double() }}
        ) as reference_share
    from pairs
    inner join totals
        on pairs.segment_column = totals.segment_column and pairs.segment_value = totals.segment_value
        and pairs.feature_name = totals.feature_name and pairs.period_start = totals.period_start

)

select * from final
