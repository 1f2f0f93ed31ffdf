"""utilbill: billing, collections and daily cash for a city water and wastewater utility.

The engine package. Business rules live in modules named after what they compute; they are
pure (Decimal and dates in, records out). Jobs read the store or workbooks, call the rules and
write results. Excel adapters live outside this package (`udfs/`, `macros_py/`).
"""

__version__ = "0.1.0"
