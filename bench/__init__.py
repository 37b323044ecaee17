"""`make bench`: the speed targets of ../shared/DESIGN.md, measured on data at the depot's scale.

Not a test: it measures, prints a table and writes bench/results.json, a list of entries
{"name", "value", "unit", "target", "floor", "ratio", "ok"} (plus "ratio_target" when a target is
also a ratio to the floor, "detail" with the parts of a figure, and "note" for targets whose
feature a later issue builds: those have value and ok null).

Every figure is compared with a floor measured in the same run on the same data, because the
machines are noisy: ratio = value / floor.

The data (2,000 companies, 100,000 orders, 1,000,000 devices and their transitions) is seeded
once by Core bulk inserts into a database outside the repository and reused between runs:
~/.cache/depot-portal-bench/bench.sqlite3, or BENCH_DATABASE_URL (postgresql+psycopg://...).
A marker table records the seed version and a fingerprint of the schema, so a model change
reseeds; `python -m bench --reseed` forces it.
"""
