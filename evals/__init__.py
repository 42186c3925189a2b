"""The evaluation harness: did refining help, and what did it cost?

Metrics are plain functions (`retention`, `faithfulness`, `diversity`, `programs_stats`, `gold`,
`quality`, `residual_pii`), each also loadable as an `evaluate` module from `evals/metrics/<name>/`.
`data_report` turns a raw corpus and its refined version into numbers; `report` renders numbers,
tables and plots (`plots`) into report.json, report.md and a self-contained report.html.
"""
