{#- Fails with the rows where `expression` is not true (null counts as a
    failure). For invariants between columns of one row. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
