{#- Every period from the first to the last observed one, so a period with no
    rows shows up as a row of zeros instead of going missing. -#}
{%- set s = model_drift.settings() -%}

with observations as (

    select period_start from {{ ref('int_model_drift__observations_cleaned') }}

),

spine as (

    {{ model_drift.period_spine(
        s.period, '(select min(period_start) from observations)', '(select max(period_start) from observations)'
    ) }}

),

final as (

    select
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast({{ dbt.dateadd(s.period, 1, 'period_start') }} as {{ dbt.type_timestamp() }}) as period_end,
        row_number() over (order by period_start) as period_number
    from spine

)

select * from final
