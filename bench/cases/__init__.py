"""The benchmark cases. Each module defines:

- ``TITLE`` and ``SIZES`` ({"full": [...], "quick": [...]}: the account counts it runs at);
- ``VARIANTS``: {name: function(size, ctx) -> dict}; each call is ONE timed repetition, run
  in its own process (so its peak memory is its own); the dict holds ``seconds`` (the
  timed part), optionally ``phases`` {name: seconds}, ``per_call_us`` and ``info``;
- optionally ``prepare(size, ctx)``: builds cached inputs (untimed, in its own process);
- ``ratios(stats, size, others)``: the ratios and targets from the variants' medians.
"""

CASES = ("bill_run", "excel_way", "arithmetic", "udf_calls", "collections", "cash_day")
