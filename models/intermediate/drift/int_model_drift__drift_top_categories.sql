{#- The categories of every categorical column followed for drift that keep
    their own name: the var model_drift_top_categories most frequent in the
    reference (ties broken by name). Every other value is '__other__'. -#}
{%- set s = model_drift.settings() -%}
{%- set categorical = model_drift.drift_columns(ref('int_model_drift__observations_cleaned'))
    | selectattr('type', 'equalto', 'categorical') | list -%}

with observations as {{ model_drift.not_materialized() }} (

    select * from {{ ref('int_model_drift__observations_cleaned') }}
    where {{ model_drift.reference_condition('period_start') }}

),

counts as (

    {% for column in categorical -%}
    select
        {{ model_drift.string_literal(column.name) }} as feature_name,
        cast({{ model_drift.quote_name(column.name) }} as {{ dbt.type_string() }}) as category,
        count(*) as reference_count
    from observations
    where {{ model_drift.quote_name(column.name) }} is not null
    group by cast({{ model_drift.quote_name(column.name) }} as {{ dbt.type_string() }})
    union all
    {% endfor -%}
    {#- named, so the union has these columns even with no categorical column -#}
    select
        cast(null as {{ dbt.type_string() }}) as feature_name,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ dbt.type_bigint() }}) as reference_count
    where 1 = 0

),

ranked as (

    select
        *,
        row_number() over (partition by feature_name order by reference_count desc, category) as category_rank
    from counts

),

final as (

    select
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(category_rank as {{ dbt.type_int() }}) as category_rank,
        cast(reference_count as {{ dbt.type_bigint() }}) as reference_count
    from ranked
    where category_rank <= {{ s.top_categories }}

)

select * from final
