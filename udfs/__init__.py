"""Excel worksheet functions (UDFs): the package that the add-in's `UDF Modules` names.

Excel looks the functions up on this package object itself: classic xlwings imports
``udfs`` and wraps every attribute carrying ``__xlfunc__``; xlwings Server uses the same
package as its custom-functions module. So this file only gathers: it imports every
module of the package (``udfs/<area>.py``, written next to it) and re-exports the
functions Excel should see. It holds no function of its own.

How to add a function: write it in any module of this package, decorated with
``@xw.func`` (``import xlwings as xw``), taking plain Excel values and returning a value
or a 2-D list that spills. Its Excel name is its Python name in upper case and must be
listed in `UDF_NAMES` below. Which functions a module exports: its ``__all__`` if it has
one, otherwise every public function that is decorated (``__xlfunc__``) or whose upper
case name is in `UDF_NAMES` (on Linux outside xlwings Server ``@xw.func`` is a no-op, so
the catalog is what finds them there).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

# The catalog of worksheet functions, by Excel name (Python name = lower case).
UDF_NAMES: tuple[str, ...] = (
    # with arguments only
    "PRORATE",
    "BILL_LINES",
    "BILL_TOTAL",
    "ARRANGEMENT_SCHEDULE",
    "DUE_DATE",
    "EARLIEST_TURNOFF",
    "ADD_BUSINESS_DAYS",
    # reading the utility's store by account number
    "FINAL_BILL",
    "PAYOFF_AS_OF",
    "PAYOFF_DETAIL",
    "ACCOUNT_BALANCE",
    "PAST_DUE",
    "LAST_PAYMENT_DATE",
    "WINTER_AVERAGE",
    "CREDIT_SCORE",
)

_CATALOG = {name.lower() for name in UDF_NAMES}


def _exports(module) -> dict[str, object]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return {name: getattr(module, name) for name in names}
    found = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue  # imported helpers are exported by the module that defines them
        if hasattr(obj, "__xlfunc__") or name in _CATALOG:
            found[name] = obj
    return found


def _gather() -> list[str]:
    exported = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, obj in _exports(module).items():
            if name in globals() and globals()[name] is not obj:
                raise ImportError(f"udfs: {name} is defined twice ({module.__name__})")
            globals()[name] = obj
            exported.append(name)
    return exported


__all__ = ["UDF_NAMES", *_gather()]


def implemented() -> dict[str, object]:
    """Excel name -> function, for the catalog names that exist so far."""
    return {n: globals()[n.lower()] for n in UDF_NAMES if n.lower() in globals()}
