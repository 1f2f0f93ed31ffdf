"""Ribbon macros: one per clerk task, and the one catalog that names them.

Every front door to a macro reads `MACROS` below: the desktop add-in builder
(`utilbill.addin_build`) makes one ribbon button per entry, the xlwings Server app
(`utilbill.server`) makes one script and one ribbon button per entry, and the tests
check both against it. Add a task here once and every door gets it.

A macro is a plain function ``def <name>(book: xw.Book) -> None`` in a module of this
package (by convention ``macros_py/<group in lower case>.py``: ``billing.py``,
``collections.py``, ``cash.py``). It reads the caller's workbook through the xlwings
object model, runs the same engine job as the command line, and writes its results to
named sheets. It never calls ``xw.Book.caller()`` itself: the door hands it the book
(``run`` below for the classic add-in, a generated ``@script`` for xlwings Server), so
the same function works in both and in tests on ``xw.Book(json=...)``.

Modules are imported lazily, by name, when a button is pressed: a task whose module is
not written yet still gets its button, and pressing it says so plainly.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Callable, NamedTuple

if TYPE_CHECKING:  # xlwings is only needed when a macro actually runs
    import xlwings as xw


class Macro(NamedTuple):
    """One clerk task on the ribbon."""

    name: str  # Python function name, and the ribbon button's tag
    label: str  # button caption
    group: str  # ribbon group: one of GROUPS
    description: str  # screentip / supertip text (at most 250 characters)
    image_mso: str  # built-in Office icon for the desktop ribbon


GROUPS: tuple[str, ...] = ("Billing", "Collections", "Cash")

MACROS: list[Macro] = [
    # Billing
    Macro("bill_run", "Bill Run", "Billing",
          "Bill every account on the Readings sheet and write the bills to the Bills sheet.",
          "CalculateNow"),
    Macro("review_and_print", "Review and Print", "Billing",
          "Check the bills of a run for exceptions and make the printable bill file.",
          "FilePrintPreview"),
    Macro("final_bill", "Final Bill", "Billing",
          "Compute the final bill for a move-out from the final reading and the move-out date.",
          "FileClose"),
    Macro("payoff", "Payoff", "Billing",
          "Compute what an account must pay to be current as of a date, with its breakdown.",
          "TableFormulaDialog"),
    Macro("account_lookup", "Account Lookup", "Billing",
          "Show an account's balance, history, arrangement and notices.",
          "FindDialog"),
    # Collections
    Macro("notices", "Notices", "Collections",
          "Select the past-due accounts that get a shut-off notice and write the notice list.",
          "TraceError"),
    Macro("turnoff_list", "Turn-off List", "Collections",
          "List the noticed accounts still past due after the notice period, in route order.",
          "DeclineInvitation"),
    Macro("arrangement", "Arrangement", "Collections",
          "Set up a payment arrangement: down payment and installment schedule.",
          "AcceptInvitation"),
    Macro("returned_payment", "Returned Payment", "Collections",
          "Reverse a returned check or bank payment and add the returned-payment fee.",
          "Undo"),
    # Cash
    Macro("post_payment_batch", "Post Payments", "Cash",
          "Post a batch of payments from the Payments sheet after checking that it balances.",
          "SaveAll"),
    Macro("daily_cash", "Daily Cash", "Cash",
          "Balance the day's cash, checks and card receipts against the posted payments.",
          "AutoSum"),
    Macro("check_cash", "Check Cash", "Cash",
          "Check a cash drawer count against the receipts posted by that drawer.",
          "PropertySheet"),
    Macro("suspense_items", "Suspense Items", "Cash",
          "List the suspense and held payments, and apply or return those decided on the Suspense Decisions sheet.",
          "Help"),
]

BY_NAME: dict[str, Macro] = {m.name: m for m in MACROS}


class MacroNotAvailable(LookupError):
    """The task is unknown, or its function has not been written yet."""


def _candidate_modules(macro: Macro) -> list[str]:
    first = [f"{__name__}.{macro.group.lower()}", f"{__name__}.{macro.name}"]
    rest = sorted(
        f"{__name__}.{info.name}"
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    )
    return first + [m for m in rest if m not in first]


def resolve(name: str) -> Callable[[xw.Book], None]:
    """The macro function for a catalog name, imported on first use.

    Looks in ``macros_py/<group>.py`` first, then ``macros_py/<name>.py``, then every
    other module of the package. Raises `MacroNotAvailable` with a message a clerk can
    pass on when the name is not in the catalog or no module defines it yet.
    """
    macro = BY_NAME.get(name)
    if macro is None:
        raise MacroNotAvailable(f"'{name}' is not a Utility Billing task.")
    for module_name in _candidate_modules(macro):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # that module does not exist: try the next
                continue
            raise  # the module exists but one of its own imports failed: a real bug
        func = getattr(module, name, None)
        if callable(func):
            return func
    raise MacroNotAvailable(
        f"The '{macro.label}' task is not installed yet "
        f"(no function {name} in the macros_py package)."
    )


def is_implemented(name: str) -> bool:
    """True if `resolve(name)` finds a function (used by tests and the builder's report)."""
    try:
        resolve(name)
    except MacroNotAvailable:
        return False
    return True


def run(name: str, book: xw.Book | None = None) -> None:
    """Run one task on a workbook: the entry point of the desktop ribbon.

    The add-in's VBA callback calls ``RunPython "import macros_py; macros_py.run('<tag>')"``;
    without `book`, the workbook is the one Excel called from (``xw.Book.caller()``).
    """
    func = resolve(name)
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    func(book)
