{#- Fails with one row per key that occurs more than once: the grain test of
    every mart. (The same idea as dbt-utils' unique_combination_of_columns,
    written here because the package depends on no other package.) -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
