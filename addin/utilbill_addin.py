"""Fallback dispatcher of the desktop add-in: works before the one-time VBA import.

The xlwings ribbon template's compiled VBA has a single callback, ``RibbonMyAddin.RunMain``.
It ignores which button was pressed and runs ``import <xlam name>; <xlam name>.main()``
with the add-in's file name, so for ``utilbill_addin.xlam`` it imports this module. (That
is why the add-in is not called ``utilbill.xlam``: ``import utilbill`` would find the
engine package, which has no ``main``.) The build copies this file next to the ``.xlam``,
and xlwings puts the add-in's folder on ``sys.path`` before it runs the command.

Because that callback cannot tell the buttons apart, the add-in built from the template
wires only the "All Tasks" button to it; ``main()`` then finds the task to run:

1. a defined name ``UTILBILL_TASK`` in the clerk's workbook, holding a task name (for
   example ``="final_bill"``, or a cell that contains one): a calculator template can
   carry the name of its own task, so the button "just works" on it;
2. otherwise it asks, with Excel's own InputBox listing the tasks by number (classic
   xlwings on Windows only: it needs Excel's COM object).

The per-task buttons call ``UtilbillRibbon.OnButton`` and work once ``UtilbillRibbon.bas``
has been imported (addin/README.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

import macros_py

if TYPE_CHECKING:
    import xlwings as xw

TASK_NAME = "UTILBILL_TASK"


def main(book: xw.Book | None = None, ask: Callable[[xw.Book], str | None] | None = None) -> None:
    """Run the task that `task_for` or the chooser picks on the calling workbook."""
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    task = task_for(book)
    if task is None:
        task = (ask or ask_task)(book)
        if task is None:  # the clerk cancelled
            return
    macros_py.run(task, book)


def task_for(book: xw.Book) -> str | None:
    """The task named by the workbook's ``UTILBILL_TASK`` defined name, if it has one."""
    for name in book.names:
        short = name.name.split("!")[-1]
        if short.upper() != TASK_NAME:
            continue
        refers_to = (name.refers_to or "").strip()
        constant = re.fullmatch(r'=\s*"([^"]*)"\s*', refers_to)
        if constant:
            value = constant.group(1)
        else:
            value = name.refers_to_range.value
        value = str(value or "").strip()
        if value in macros_py.BY_NAME:
            return value
        by_label = {m.label.lower(): m.name for m in macros_py.MACROS}
        if value.lower() in by_label:
            return by_label[value.lower()]
        raise macros_py.MacroNotAvailable(
            f"The workbook's {TASK_NAME} name says '{value}', which is not a Utility Billing task."
        )
    return None


def chooser_prompt() -> str:
    """The numbered list of tasks that `ask_task` shows."""
    lines = ["Which task? Type its number:", ""]
    for i, m in enumerate(macros_py.MACROS, start=1):
        lines.append(f"{i:>2}  {m.group}: {m.label}")
    return "\n".join(lines)


def task_from_answer(answer) -> str | None:
    """Map the InputBox answer (a number, or False when cancelled) to a task name."""
    if answer is False or answer is None or answer == "":
        return None
    try:
        number = int(float(answer))
    except (TypeError, ValueError):
        return None
    if 1 <= number <= len(macros_py.MACROS):
        return macros_py.MACROS[number - 1].name
    return None


def ask_task(book: xw.Book) -> str | None:
    """Ask the clerk with Excel's InputBox (Type=1: a number). Windows Excel only."""
    try:
        excel = book.app.api
        answer = excel.InputBox(chooser_prompt(), "Utility Billing", Type=1)
    except Exception as exc:  # no COM object: not classic Excel on Windows
        raise macros_py.MacroNotAvailable(
            "Cannot ask which task to run here. Use the task buttons (after the one-time "
            f"VBA import), or give the workbook a {TASK_NAME} name."
        ) from exc
    return task_from_answer(answer)
