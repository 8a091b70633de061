{#- Interval formulas used by the quality marts. Each takes SQL expressions
    and the z of var model_drift_confidence_level (settings().z). -#}

{% macro wilson_bound(successes, trials, z, side) -%}
  {#- Wilson score interval for a binomial proportion; null when trials = 0. -#}
  {%- set z = model_drift.to_double(z) -%}
  {%- set share = model_drift.to_double(successes) ~ ' / (' ~ trials ~ ')' -%}
  case when ({{ trials }}) > 0 then
    (
      ({{ share }} + {{ z }} * {{ z }} / (2.0 * ({{ trials }})))
      {{ '-' if side == 'low' else '+' }} {{ z }} * sqrt(
        ({{ share }}) * (1 - {{ share }}) / ({{ trials }})
        + {{ z }} * {{ z }} / (4.0 * ({{ trials }}) * ({{ trials }}))
      )
    ) / (1 + {{ z }} * {{ z }} / ({{ trials }}))
  end
{%- endmacro %}


{% macro t_quantile(degrees_of_freedom, z) -%}
  {#- Two-sided Student t critical value for the configured level: exact table
      values up to 30 degrees of freedom, then the Cornish-Fisher expansion
      around z (error below 2e-5 there). -#}
  {%- set tables = {
      1.6448536269514722: [6.313752, 2.919986, 2.353363, 2.131847, 2.015048, 1.94318, 1.894579, 1.859548, 1.833113, 1.812461, 1.795885, 1.782288, 1.770933, 1.76131, 1.75305, 1.745884, 1.739607, 1.734064, 1.729133, 1.724718, 1.720743, 1.717144, 1.713872, 1.710882, 1.708141, 1.705618, 1.703288, 1.701131, 1.699127, 1.697261],
      1.959963984540054: [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272],
      2.5758293035489004: [63.656741, 9.924843, 5.840909, 4.604095, 4.032143, 3.707428, 3.499483, 3.355387, 3.249836, 3.169273, 3.105807, 3.05454, 3.012276, 2.976843, 2.946713, 2.920782, 2.898231, 2.87844, 2.860935, 2.84534, 2.83136, 2.818756, 2.807336, 2.79694, 2.787436, 2.778715, 2.770683, 2.763262, 2.756386, 2.749996],
  } -%}
  {%- set v = degrees_of_freedom -%}
  case
    {% for value in tables[z] -%}
    when ({{ v }}) = {{ loop.index }} then {{ value }}
    {% endfor -%}
    {%- set v = model_drift.to_double(v) %}
    when {{ v }} > 30 then
      {{ model_drift.to_double(z) }} + ({{ z ** 3 + z }}) / (4.0 * {{ v }})
      + ({{ 5 * z ** 5 + 16 * z ** 3 + 3 * z }}) / (96.0 * {{ v }} * {{ v }})
      + ({{ 3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z }}) / (384.0 * {{ v }} * {{ v }} * {{ v }})
  end
{%- endmacro %}


{% macro mean_t_bound(total, total_of_squares, n, z, side) -%}
  {#- t-interval for a mean from its sum, sum of squares and count; null below 2 rows. -#}
  case when ({{ n }}) >= 2 then
    {{ model_drift.to_double(total) }} / ({{ n }})
    {{ '-' if side == 'low' else '+' }} {{ model_drift.t_quantile(n ~ ' - 1', z) }}
      * sqrt(greatest({{ model_drift.to_double(total_of_squares) }} - {{ model_drift.to_double(total) }} * ({{ total }}) / ({{ n }}), 0) / (({{ n }}) - 1) / ({{ n }}))
  end
{%- endmacro %}


{% macro hanley_mcneil_bound(auc, positives, negatives, z, side) -%}
  {#- Hanley & McNeil (1982) standard error of ROC AUC, normal interval clipped to [0, 1]. -#}
  case when ({{ positives }}) > 0 and ({{ negatives }}) > 0 then
    {{ 'greatest(0.0, ' if side == 'low' else 'least(1.0, ' }}
      ({{ auc }}) {{ '-' if side == 'low' else '+' }} {{ z }} * sqrt(greatest(
        (
          ({{ auc }}) * (1 - ({{ auc }}))
          + (({{ positives }}) - 1) * (({{ auc }}) / (2 - ({{ auc }})) - ({{ auc }}) * ({{ auc }}))
          + (({{ negatives }}) - 1) * (2 * ({{ auc }}) * ({{ auc }}) / (1 + ({{ auc }})) - ({{ auc }}) * ({{ auc }}))
        ) / ({{ model_drift.to_double(positives) }} * ({{ negatives }})),
        0))
    )
  end
{%- endmacro %}
