"""Every sheet layout of utilbill's workbooks, in one place (design.md: one module defines
every sheet layout, and both the readers and the writers use it).

Append concrete layouts below, e.g.
    READINGS = SheetLayout("Readings", [Column("account", "account"), Column("reading", "int", min=0)])
Read with `utilbill.xlio.read_table(path, READINGS)`; write with `utilbill.xlio.write_table`.
"""

from utilbill.layouts_core import Column, SheetLayout  # noqa: F401
