{#- How the inputs move: for every followed column (features, the
    prediction, the target), slice and period, its summary statistics and its
    distance to the reference window. See the model's YAML for every formula
    and the README for the error bounds of the binned KS and Wasserstein. -#}
{%- set s = model_drift.settings() -%}
{%- set psi_floor = 0.0001 -%}

with pairs as (

    select * from {{ ref('int_model_drift__drift_bin_pairs') }}

),

stats as (

    select * from {{ ref('int_model_drift__drift_period_stats') }}

),

spine as (

    select * from {{ ref('int_model_drift__period_spine') }}

),

totals as (

    select
        segment_column, segment_value, feature_name, period_start,
        sum(current_count) as current_total,
        sum(reference_count) as reference_total
    from pairs
    group by 1, 2, 3, 4

),

shares as (

    select
        pairs.*,
        case
            when totals.current_total > 0
            then {{ model_drift.to_double('pairs.current_count') }} / totals.current_total
        end as current_share,
        case
            when totals.reference_total > 0
            then {{ model_drift.to_double('pairs.reference_count') }} / totals.reference_total
        end as reference_share,
        totals.current_total,
        totals.reference_total
    from pairs
    inner join totals
        on pairs.segment_column = totals.segment_column
        and pairs.segment_value = totals.segment_value
        and pairs.feature_name = totals.feature_name
        and pairs.period_start = totals.period_start

),

{# Kolmogorov-Smirnov on the fine bins: the two empirical CDFs compared at
    every bin edge. A bin whose values are not all equal can hide at most its
    larger share of either sample, so the exact statistic lies in
    [ks_statistic, ks_statistic + ks_error_bound]. -#}
cumulative as (

    select
        *,
        sum(current_share) over (
            partition by segment_column, segment_value, feature_name, period_start
            order by bin_number rows between unbounded preceding and current row
        ) as current_cdf,
        sum(reference_share) over (
            partition by segment_column, segment_value, feature_name, period_start
            order by bin_number rows between unbounded preceding and current row
        ) as reference_cdf
    from shares
    where category is null

),

{# Wasserstein-1 between the two samples with every value moved to its
    bin's mean: the area between the two step CDFs over the sorted bin means.
    Moving a value within its bin changes W1 by at most the bin's width, so
    the error is at most the share-weighted within-bin ranges of both. -#}
mass_points as (

    select
        segment_column, segment_value, feature_name, period_start,
        current_sum / current_count as location, current_share as signed_mass
    from shares
    where category is null and current_count > 0
    union all
    select
        segment_column, segment_value, feature_name, period_start,
        reference_sum / reference_count as location, -reference_share as signed_mass
    from shares
    where category is null and reference_count > 0

),

mass_steps as (

    select
        segment_column, segment_value, feature_name, period_start, location,
        sum(signed_mass) over (
            partition by segment_column, segment_value, feature_name, period_start
            order by location rows between unbounded preceding and current row
        ) as cdf_gap,
        lead(location) over (
            partition by segment_column, segment_value, feature_name, period_start
            order by location
        ) - location as step_width
    from mass_points

),

wasserstein as (

    select
        segment_column, segment_value, feature_name, period_start,
        sum(abs(cdf_gap) * coalesce(step_width, 0)) as wasserstein
    from mass_steps
    group by 1, 2, 3, 4

),

{# every numeric distance of a compared period, where both the period and
    its reference have values (categorical columns have none of these) -#}
numeric_distances as (

    select
        binned.*,
        wasserstein.wasserstein
    from (
        select
            segment_column, segment_value, feature_name, period_start,
            max(current_total) as current_total,
            max(reference_total) as reference_total,
            max(abs(current_cdf - reference_cdf)) as ks_statistic,
            max(
                case
                    when greatest(coalesce(current_max, reference_max), coalesce(reference_max, current_max))
                        > least(coalesce(current_min, reference_min), coalesce(reference_min, current_min))
                    then greatest(coalesce(current_share, 0), coalesce(reference_share, 0))
                    else 0
                end
            ) as ks_error_bound,
            sum(
                coalesce(current_share * (current_max - current_min), 0)
                + coalesce(reference_share * (reference_max - reference_min), 0)
            ) as wasserstein_error_bound
        from cumulative
        where current_total > 0 and reference_total > 0
        group by 1, 2, 3, 4
    ) as binned
    left join wasserstein
        on binned.segment_column = wasserstein.segment_column and binned.segment_value = wasserstein.segment_value
        and binned.feature_name = wasserstein.feature_name and binned.period_start = wasserstein.period_start

),

{# PSI and Jensen-Shannon on the reference deciles (numeric) or the
    categories (categorical). PSI floors an empty bin's share at 0.0001;
    Jensen-Shannon needs no floor and is the distance (square root of the
    divergence), base 2, in [0, 1]. -#}
coarse as (

    select
        segment_column, segment_value, feature_name, period_start, decile_bin_number,
        max(category) as category,
        sum(current_count) as current_count,
        sum(reference_count) as reference_count,
        sum(current_share) as current_share,
        sum(reference_share) as reference_share,
        max(current_total) as current_total,
        max(reference_total) as reference_total
    from shares
    group by 1, 2, 3, 4, 5

),

coarse_distances as (

    select
        segment_column, segment_value, feature_name, period_start,
        sum(
            (greatest(current_share, {{ psi_floor }}) - greatest(reference_share, {{ psi_floor }}))
            * ln(greatest(current_share, {{ psi_floor }}) / greatest(reference_share, {{ psi_floor }}))
        ) as psi,
        sqrt(
            greatest(
                0.5 * sum(
                    case
                        when current_share > 0
                        then current_share * ln(2 * current_share / (current_share + reference_share))
                        else 0
                    end
                )
                + 0.5 * sum(
                    case
                        when reference_share > 0
                        then reference_share * ln(2 * reference_share / (current_share + reference_share))
                        else 0
                    end
                ),
                0
            ) / ln(2)
        ) as js_distance,
        {#- Pearson chi-square of the 2 x K table (reference, current) x category, no continuity correction -#}
        sum(
            case
                when current_count + reference_count > 0
                then
                    power(
                        current_count
                        - (current_count + reference_count) * {{ model_drift.to_double('current_total') }}
                        / (current_total + reference_total),
                        2
                    )
                    / (
                        (current_count + reference_count) * {{ model_drift.to_double('current_total') }}
                        / (current_total + reference_total)
                    )
                    + power(
                        reference_count
                        - (current_count + reference_count) * {{ model_drift.to_double('reference_total') }}
                        / (current_total + reference_total),
                        2
                    )
                    / (
                        (current_count + reference_count) * {{ model_drift.to_double('reference_total') }}
                        / (current_total + reference_total)
                    )
            end
        ) as chi_square,
        sum(case when current_count + reference_count > 0 then 1 else 0 end) - 1 as chi_square_dof
    from coarse
    where current_total > 0 and reference_total > 0
    group by 1, 2, 3, 4

),

grid as (

    select
        stats_keys.segment_column, stats_keys.segment_value, stats_keys.feature_name,
        stats_keys.feature_role, stats_keys.feature_type, spine.period_start
    from (
        select distinct segment_column, segment_value, feature_name, feature_role, feature_type from stats
    ) as stats_keys
    cross join spine

),

final as (

    select
        cast(grid.segment_column as {{ dbt.type_string() }}) as segment_column,
        cast(grid.segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(grid.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(grid.feature_role as {{ dbt.type_string() }}) as feature_role,
        cast(grid.feature_type as {{ dbt.type_string() }}) as feature_type,
        cast('{{ s.period }}' as {{ dbt.type_string() }}) as period_grain,
        cast(grid.period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast('{{ s.reference }}' as {{ dbt.type_string() }}) as reference_mode,
        {% if s.reference == 'trailing' -%}
        false as is_reference_period,
        {%- else -%}
        coalesce({{ model_drift.reference_condition('grid.period_start') }}, false) as is_reference_period,
        {%- endif %}
        cast(coalesce(stats.row_count, 0) as {{ dbt.type_bigint() }}) as row_count,
        cast(coalesce(stats.value_count, 0) as {{ dbt.type_bigint() }}) as value_count,
        cast(
            case
                when stats.row_count > 0
                then 1 - {{ model_drift.to_double('stats.value_count') }} / stats.row_count
            end as {{ model_drift.type_double() }}
        ) as null_rate,
        cast(stats.value_mean as {{ model_drift.type_double() }}) as value_mean,
        cast(stats.value_std as {{ model_drift.type_double() }}) as value_std,
        cast(stats.value_p05 as {{ model_drift.type_double() }}) as value_p05,
        cast(stats.value_p50 as {{ model_drift.type_double() }}) as value_p50,
        cast(stats.value_p95 as {{ model_drift.type_double() }}) as value_p95,
        cast(stats.distinct_categories as {{ dbt.type_bigint() }}) as distinct_categories,
        cast(totals.reference_total as {{ dbt.type_bigint() }}) as reference_value_count,
        cast(coarse_distances.psi as {{ model_drift.type_double() }}) as psi,
        cast(coarse_distances.js_distance as {{ model_drift.type_double() }}) as js_distance,
        cast(numeric_distances.ks_statistic as {{ model_drift.type_double() }}) as ks_statistic,
        {#- the exact statistic is at most 1, so the bound never needs to exceed 1 - ks_statistic -#}
        cast(
            least(numeric_distances.ks_error_bound, 1 - numeric_distances.ks_statistic)
            as {{ model_drift.type_double() }}
        ) as ks_error_bound,
        cast(
            {{ model_drift.ks_p_value(
                'numeric_distances.ks_statistic', 'numeric_distances.current_total', 'numeric_distances.reference_total'
            ) }} as {{ model_drift.type_double() }}
        ) as ks_p_value,
        cast(numeric_distances.wasserstein as {{ model_drift.type_double() }}) as wasserstein,
        cast(numeric_distances.wasserstein_error_bound as {{ model_drift.type_double() }}) as wasserstein_error_bound,
        cast(
            case
                when grid.feature_type = 'categorical' then coarse_distances.chi_square
            end as {{ model_drift.type_double() }}
        ) as chi_square,
        cast(
            case
                when grid.feature_type = 'categorical' then coarse_distances.chi_square_dof
            end as {{ dbt.type_int() }}
        ) as chi_square_dof,
        cast(
            case
                when coalesce(stats.value_count, 0) = 0 then 'no values in period'
                when coalesce(totals.reference_total, 0) = 0 then 'no values in reference'
            end as {{ dbt.type_string() }}
        ) as null_reason
    from grid
    left join stats
        on grid.segment_column = stats.segment_column
        and grid.segment_value = stats.segment_value
        and grid.feature_name = stats.feature_name
        and grid.period_start = stats.period_start
    left join totals
        on grid.segment_column = totals.segment_column
        and grid.segment_value = totals.segment_value
        and grid.feature_name = totals.feature_name
        and grid.period_start = totals.period_start
    left join coarse_distances
        on grid.segment_column = coarse_distances.segment_column
        and grid.segment_value = coarse_distances.segment_value
        and grid.feature_name = coarse_distances.feature_name
        and grid.period_start = coarse_distances.period_start
    left join numeric_distances
        on grid.segment_column = numeric_distances.segment_column
        and grid.segment_value = numeric_distances.segment_value
        and grid.feature_name = numeric_distances.feature_name
        and grid.period_start = numeric_distances.period_start

)

select * from final
