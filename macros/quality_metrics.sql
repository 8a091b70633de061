{#- Per-group quality of the production prediction, in long form: one row per
    group and metric with its value, interval and row count. Emits CTEs (to
    follow a `with` list) named quality_*; the last, quality_metrics, has the
    columns: <group columns>, metric_name, metric_value, ci_low, ci_high,
    ci_method, metric_row_count, null_reason.
    `source` is a CTE with the group columns, is_labelled, target, prediction.
    Both the per-period mart and the model-age mart use it, so the two can
    never disagree on a definition. -#}

{% macro quality_metric_ctes(source, group_columns, task) %}
  {%- set s = model_drift.settings() -%}
  {%- if task == 'binary' -%}
    {{ model_drift.binary_quality_ctes(source, group_columns, s) }}
  {%- elif task == 'regression' -%}
    {{ model_drift.regression_quality_ctes(source, group_columns, s) }}
  {%- else -%}
    {{ model_drift.multiclass_quality_ctes(source, group_columns, s) }}
  {%- endif -%}
{% endmacro %}


{% macro metric_row(group_columns, name, value, low, high, method, n, null_reason) -%}
    select
        {{ group_columns | join(', ') }},
        '{{ name }}' as metric_name,
        cast({{ value }} as {{ model_drift.type_double() }}) as metric_value,
        cast({{ low }} as {{ model_drift.type_double() }}) as ci_low,
        cast({{ high }} as {{ model_drift.type_double() }}) as ci_high,
        '{{ method }}' as ci_method,
        cast({{ n }} as {{ dbt.type_bigint() }}) as metric_row_count,
        cast({{ null_reason }} as {{ dbt.type_string() }}) as null_reason
    from quality_stats
{%- endmacro %}


{% macro proportion_row(group_columns, name, successes, trials, z, empty_reason) -%}
  {{ model_drift.metric_row(group_columns, name,
      'case when ' ~ trials ~ ' > 0 then ' ~ model_drift.to_double(successes) ~ ' / ' ~ trials ~ ' end',
      model_drift.wilson_bound(successes, trials, z, 'low'),
      model_drift.wilson_bound(successes, trials, z, 'high'),
      'wilson', trials,
      "case when " ~ trials ~ " = 0 then '" ~ empty_reason ~ "' end") }}
{%- endmacro %}


{% macro mean_row(group_columns, name, total, total_of_squares, n, z, empty_reason='no labelled rows with a prediction') -%}
  {{ model_drift.metric_row(group_columns, name,
      'case when ' ~ n ~ ' > 0 then ' ~ model_drift.to_double(total) ~ ' / ' ~ n ~ ' end',
      model_drift.mean_t_bound(total, total_of_squares, n, z, 'low'),
      model_drift.mean_t_bound(total, total_of_squares, n, z, 'high'),
      't', n,
      "case when " ~ n ~ " = 0 then '" ~ empty_reason ~ "' end") }}
{%- endmacro %}


{% macro binary_quality_ctes(source, g, s) %}
  {%- set groups = g | join(', ') -%}
  {%- set eps = 2.220446049250313e-16 -%}
quality_scored as (
    select
        {{ groups }},
        cast(target as {{ model_drift.type_double() }}) as y,
        cast(prediction as {{ model_drift.type_double() }}) as p,
        case when prediction >= {{ s.threshold }} then 1.0 else 0.0 end as y_hat,
        {#- clipped like scikit-learn's log_loss, so a score of exactly 0 or 1 stays finite -#}
        greatest(least(cast(prediction as {{ model_drift.type_double() }}), {{ 1 - eps }}), {{ eps }}) as p_clipped
    from {{ source }}
    where is_labelled and prediction is not null
),

quality_row_losses as (
    select
        *,
        -(y * ln(p_clipped) + (1 - y) * ln(1 - p_clipped)) as row_log_loss,
        (p - y) * (p - y) as row_brier
    from quality_scored
),

quality_counts as (
    select
        {{ groups }},
        count(*) as n,
        sum(y) as positives,
        sum(y_hat) as predicted_positives,
        sum(y * y_hat) as true_positives,
        sum(case when y = y_hat then 1 else 0 end) as correct,
        sum(row_log_loss) as log_loss_sum,
        sum(row_log_loss * row_log_loss) as log_loss_square_sum,
        sum(row_brier) as brier_sum,
        sum(row_brier * row_brier) as brier_square_sum
    from quality_row_losses
    group by {{ groups }}
),

{#- Exact ROC AUC with ties: count positives and negatives per distinct score;
    each positive beats the negatives below its score and half-beats the
    negatives tied with it (the Mann-Whitney U statistic). -#}
quality_score_counts as (
    select {{ groups }}, p, sum(y) as positives_here, count(*) - sum(y) as negatives_here
    from quality_scored
    group by {{ groups }}, p
),

quality_auc as (
    select
        {{ groups }},
        sum(positives_here * (coalesce(negatives_below, 0) + 0.5 * negatives_here)) as auc_numerator
    from (
        select
            *,
            sum(negatives_here) over (
                partition by {{ groups }} order by p
                rows between unbounded preceding and 1 preceding
            ) as negatives_below
        from quality_score_counts
    ) as ranked
    group by {{ groups }}
),

quality_stats as (
    select
        quality_counts.*,
        n - positives as negatives,
        case
            when positives > 0 and n - positives > 0
            then {{ model_drift.to_double('quality_auc.auc_numerator') }} / (positives * (n - positives))
        end as auc,
        2 * true_positives + (predicted_positives - true_positives) + (positives - true_positives) as f1_denominator
    from quality_counts
    left join quality_auc
        on {% for c in g %}quality_counts.{{ c }} = quality_auc.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
),

quality_metrics as (
    {{ model_drift.proportion_row(g, 'accuracy', 'correct', 'n', s.z, 'no labelled rows with a prediction') }}
    union all
    {{ model_drift.proportion_row(g, 'precision', 'true_positives', 'predicted_positives', s.z, 'no predicted positives') }}
    union all
    {{ model_drift.proportion_row(g, 'recall', 'true_positives', 'positives', s.z, 'no positives') }}
    union all
    {# F1 = 2TP / (2TP + FP + FN) is the share TP / n_eff with n_eff = TP + (FP + FN) / 2;
       its interval is Wilson's on that share (an approximation, see README) #}
    {{ model_drift.metric_row(g, 'f1',
        'case when f1_denominator > 0 then 2 * ' ~ model_drift.to_double('true_positives') ~ ' / f1_denominator end',
        model_drift.wilson_bound('true_positives', 'f1_denominator / 2.0', s.z, 'low'),
        model_drift.wilson_bound('true_positives', 'f1_denominator / 2.0', s.z, 'high'),
        'wilson_effective_n', 'n',
        "case when f1_denominator = 0 then 'no positives and no predicted positives' end") }}
    union all
    {{ model_drift.metric_row(g, 'roc_auc', 'auc',
        model_drift.hanley_mcneil_bound('auc', 'positives', 'negatives', s.z, 'low'),
        model_drift.hanley_mcneil_bound('auc', 'positives', 'negatives', s.z, 'high'),
        'hanley_mcneil', 'n',
        "case when n = 0 then 'no labelled rows with a prediction' when positives = 0 or negatives = 0 then 'one class only' end") }}
    union all
    {{ model_drift.mean_row(g, 'log_loss', 'log_loss_sum', 'log_loss_square_sum', 'n', s.z) }}
    union all
    {{ model_drift.mean_row(g, 'brier', 'brier_sum', 'brier_square_sum', 'n', s.z) }}
    union all
    {{ model_drift.proportion_row(g, 'positive_rate', 'positives', 'n', s.z, 'no labelled rows with a prediction') }}
    union all
    {{ model_drift.proportion_row(g, 'predicted_positive_rate', 'predicted_positives', 'n', s.z, 'no labelled rows with a prediction') }}
)
{% endmacro %}


{% macro regression_quality_ctes(source, g, s) %}
  {%- set groups = g | join(', ') -%}
quality_errors as (
    select
        {{ groups }},
        cast(target as {{ model_drift.type_double() }}) as y,
        cast(prediction as {{ model_drift.type_double() }}) - cast(target as {{ model_drift.type_double() }}) as e
    from {{ source }}
    where is_labelled and prediction is not null
),

quality_stats as (
    select
        {{ groups }},
        count(*) as n,
        sum(e) as error_sum,
        sum(e * e) as error_square_sum,
        sum(abs(e)) as absolute_error_sum,
        sum(e * e * e * e) as squared_error_square_sum,
        {# MAPE only over rows whose target is not 0, where it is defined #}
        sum(case when y <> 0 then 1 else 0 end) as nonzero_target_n,
        sum(case when y <> 0 then abs(e / y) end) as percentage_error_sum,
        sum(case when y <> 0 then (e / y) * (e / y) end) as percentage_error_square_sum,
        sum(y) as target_sum,
        sum(y * y) as target_square_sum,
        {# min = max catches a constant target exactly, where the sum of squares may keep a rounding residue #}
        min(y) as target_min,
        max(y) as target_max
    from quality_errors
    group by {{ groups }}
),

quality_metrics as (
    {{ model_drift.mean_row(g, 'mae', 'absolute_error_sum', 'error_square_sum', 'n', s.z) }}
    union all
    {# RMSE: the t-interval of the mean squared error, square-rooted (monotone) #}
    {{ model_drift.metric_row(g, 'rmse',
        'case when n > 0 then sqrt(' ~ model_drift.to_double('error_square_sum') ~ ' / n) end',
        'case when n >= 2 then sqrt(greatest(' ~ model_drift.mean_t_bound('error_square_sum', 'squared_error_square_sum', 'n', s.z, 'low') ~ ', 0)) end',
        'sqrt(' ~ model_drift.mean_t_bound('error_square_sum', 'squared_error_square_sum', 'n', s.z, 'high') ~ ')',
        't_on_mse', 'n',
        "case when n = 0 then 'no labelled rows with a prediction' end") }}
    union all
    {{ model_drift.mean_row(g, 'mape', 'percentage_error_sum', 'percentage_error_square_sum', 'nonzero_target_n', s.z,
        'no labelled rows with a non-zero target') }}
    union all
    {{ model_drift.metric_row(g, 'r2',
        'case when n >= 2 and target_min < target_max then 1 - error_square_sum / (target_square_sum - target_sum * target_sum / n) end',
        'null', 'null', 'none', 'n',
        "case when n < 2 then 'fewer than 2 labelled rows' when target_min = target_max then 'constant target' end") }}
    union all
    {{ model_drift.mean_row(g, 'bias', 'error_sum', 'error_square_sum', 'n', s.z) }}
)
{% endmacro %}


{% macro multiclass_quality_ctes(source, g, s) %}
  {%- set groups = g | join(', ') -%}
  {%- set on = [] -%}
  {%- for c in g -%}{%- do on.append('quality_counts.' ~ c ~ ' = quality_f1.' ~ c) -%}{%- endfor -%}
quality_scored as (
    select
        {{ groups }},
        cast(target as {{ dbt.type_string() }}) as y,
        cast(prediction as {{ dbt.type_string() }}) as y_hat
    from {{ source }}
    where is_labelled and prediction is not null
),

quality_counts as (
    select {{ groups }}, count(*) as n, sum(case when y = y_hat then 1 else 0 end) as correct
    from quality_scored
    group by {{ groups }}
),

{#- per class: support (true count), predicted count, true positives; the
    classes are those seen as truth or prediction, as scikit-learn does -#}
quality_classes as (
    select {{ groups }}, class_label, sum(is_true) as support, sum(is_predicted) as predicted, sum(is_true * is_predicted) as true_positives
    from (
        select {{ groups }}, y as class_label, 1 as is_true, case when y = y_hat then 1 else 0 end as is_predicted from quality_scored
        union all
        select {{ groups }}, y_hat as class_label, 0 as is_true, 1 as is_predicted from quality_scored where y <> y_hat
    ) as votes
    group by {{ groups }}, class_label
),

quality_f1 as (
    select
        {{ groups }},
        avg(class_f1) as macro_f1,
        {{ model_drift.to_double('sum(class_f1 * support)') }} / nullif(sum(support), 0) as weighted_f1
    from (
        select *, case when support + predicted > 0 then 2 * {{ model_drift.to_double('true_positives') }} / (support + predicted) else 0 end as class_f1
        from quality_classes
    ) as per_class
    group by {{ groups }}
),

quality_stats as (
    select quality_counts.*, quality_f1.macro_f1, quality_f1.weighted_f1
    from quality_counts
    left join quality_f1 on {{ on | join(' and ') }}
),

quality_metrics as (
    {{ model_drift.proportion_row(g, 'accuracy', 'correct', 'n', s.z, 'no labelled rows with a prediction') }}
    union all
    {{ model_drift.metric_row(g, 'macro_f1', 'macro_f1', 'null', 'null', 'none', 'n', "case when n = 0 then 'no labelled rows with a prediction' end") }}
    union all
    {{ model_drift.metric_row(g, 'weighted_f1', 'weighted_f1', 'null', 'null', 'none', 'n', "case when n = 0 then 'no labelled rows with a prediction' end") }}
)
{% endmacro %}
