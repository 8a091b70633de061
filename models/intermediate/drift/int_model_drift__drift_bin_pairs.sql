{#- Each period's histogram beside its reference histogram, bin by bin: the
    rows every drift distance is computed from. One row per slice, column,
    compared period and bin that is non-empty in either. The reference is
    the fixed window of var model_drift_reference (first / dates), or the
    var model_drift_reference_periods periods before the compared one
    (trailing). -#}
{%- set s = model_drift.settings() -%}

with histograms as (

    select * from {{ ref('int_model_drift__drift_histograms') }}

),

compared as (

    {#- every slice x column x period that has values, or whose reference does -#}
    select distinct segment_column, segment_value, feature_name, period_start
    from histograms

),

reference_bins as (

    {% if s.reference == 'trailing' -%}
    select
        compared.segment_column,
        compared.segment_value,
        compared.feature_name,
        compared.period_start,
        histograms.bin_number,
        histograms.decile_bin_number,
        histograms.category,
        sum(histograms.value_count) as value_count,
        sum(histograms.value_sum) as value_sum,
        min(histograms.value_min) as value_min,
        max(histograms.value_max) as value_max
    from compared
    inner join histograms
        on compared.segment_column = histograms.segment_column
        and compared.segment_value = histograms.segment_value
        and compared.feature_name = histograms.feature_name
        and histograms.period_start < compared.period_start
        and histograms.period_start >= {{ dbt.dateadd(s.period, -s.reference_periods, 'compared.period_start') }}
    group by 1, 2, 3, 4, 5, 6, 7
    {%- else -%}
    select
        compared.segment_column,
        compared.segment_value,
        compared.feature_name,
        compared.period_start,
        fixed.bin_number,
        fixed.decile_bin_number,
        fixed.category,
        fixed.value_count,
        fixed.value_sum,
        fixed.value_min,
        fixed.value_max
    from compared
    inner join (  -- noqa: ST05
        select
            segment_column, segment_value, feature_name, bin_number, decile_bin_number, category,
            sum(value_count) as value_count,
            sum(value_sum) as value_sum,
            min(value_min) as value_min,
            max(value_max) as value_max
        from histograms
        where {{ model_drift.reference_condition('period_start') }}
        group by 1, 2, 3, 4, 5, 6
    ) as fixed
        on compared.segment_column = fixed.segment_column
        and compared.segment_value = fixed.segment_value
        and compared.feature_name = fixed.feature_name
    {%- endif %}

),

paired as (

    select
        coalesce(current_bins.segment_column, reference_bins.segment_column) as segment_column,
        coalesce(current_bins.segment_value, reference_bins.segment_value) as segment_value,
        coalesce(current_bins.feature_name, reference_bins.feature_name) as feature_name,
        coalesce(current_bins.period_start, reference_bins.period_start) as period_start,
        coalesce(current_bins.bin_number, reference_bins.bin_number) as bin_number,
        coalesce(current_bins.decile_bin_number, reference_bins.decile_bin_number) as decile_bin_number,
        coalesce(current_bins.category, reference_bins.category) as category,
        coalesce(current_bins.value_count, 0) as current_count,
        current_bins.value_sum as current_sum,
        current_bins.value_min as current_min,
        current_bins.value_max as current_max,
        coalesce(reference_bins.value_count, 0) as reference_count,
        reference_bins.value_sum as reference_sum,
        reference_bins.value_min as reference_min,
        reference_bins.value_max as reference_max
    from histograms as current_bins
    full outer join reference_bins
        on current_bins.segment_column = reference_bins.segment_column
        and current_bins.segment_value = reference_bins.segment_value
        and current_bins.feature_name = reference_bins.feature_name
        and current_bins.period_start = reference_bins.period_start
        and current_bins.bin_number = reference_bins.bin_number

)

select * from paired
