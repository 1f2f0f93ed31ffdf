"""The demo day, the Excel side: the workbook templates and a filled example of each.

Builds every template with the sample utility's configuration into output/workbooks, then
fills a copy of each through its named input cells with the day's real cases, picked from
the store: the readings the day's bill run took, the account final-billed today (else the
first active residential account), the account owing the most (payoff and arrangement),
the day's turn-off list date, a late payer's inquiry, and the day's own cash workbook. The
worksheet-function cells of the examples compute when opened with the Utility Billing
add-in; the ribbon tasks fill their result sheets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import desc, func, select

from ..home import Utility
from ..money import round_line
from ..store import schema
from ..templates import build_templates, fill_inputs
from . import DemoReport


def _readings(conn, limit: int = 25) -> list[tuple]:
    """The newest actual reads (the day's bill run), as readings rows."""
    R = schema.reads
    last = conn.execute(select(func.max(R.c.read_date)).where(R.c.read_type == "actual")).scalar()
    if last is None:
        return []
    q = (select(R.c.account_no, R.c.read_date, R.c.reading).where(R.c.read_date == last, R.c.read_type == "actual")
         .order_by(R.c.account_no).limit(limit))
    return [tuple(r) for r in conn.execute(q)]


def _move_out(conn) -> tuple[str, date, int | None] | None:
    M = schema.move_outs
    r = conn.execute(select(M.c.account_no, M.c.move_out, M.c.reading).order_by(desc(M.c.id)).limit(1)).first()
    if r is not None:
        return tuple(r)
    A = schema.accounts
    r = conn.execute(select(A.c.account_no).where(A.c.status == "active", A.c.account_class == "residential")
                     .order_by(A.c.account_no).limit(1)).first()
    return (r[0], None, None) if r else None


def _largest_balance(conn, day: date) -> tuple[str, Decimal] | None:
    P = schema.postings
    r = conn.execute(select(P.c.account_no, func.sum(P.c.amount_cents).label("owed")).where(P.c.effective_date <= day)
                     .group_by(P.c.account_no).order_by(desc("owed")).limit(1)).first()
    return (r[0], Decimal(r[1]) / 100) if r and r[1] > 0 else None


def run(u: Utility, day: date, report: DemoReport) -> None:
    from ..cash_day import cash_day
    from ..cash_workbook import write_cash_workbook
    from ..collections_jobs import past_due_for

    out = u.out_dir("workbooks")
    paths = build_templates(out, u.policy)
    report.line(f"Workbook templates: {len(paths)} built with this utility's configuration")
    for path in paths.values():
        report.output(path, "workbook template")
    examples = out / "examples"
    with u.store.read() as conn:
        reads, mover, owing = _readings(conn), _move_out(conn), _largest_balance(conn, day)

    def example(kind: str, values: dict, what: str) -> None:
        path = fill_inputs(paths[kind], values, examples / f"{paths[kind].stem} - example.xlsx")
        report.output(path, what)

    if reads:
        import openpyxl

        from ..xlio import save_workbook, write_cell

        wb = openpyxl.load_workbook(paths["readings"])
        for r, row in enumerate(reads, start=4):
            for c, value in enumerate(row, start=1):
                write_cell(wb["Readings"], r, c, value)
        write_cell(wb["Run"], 4, 2, reads[0][1])
        examples.mkdir(parents=True, exist_ok=True)
        report.output(save_workbook(wb, examples / f"{paths['readings'].stem} - example.xlsx"),
                      f"readings entry filled with {len(reads)} of the day's reads")
    if mover is not None:
        account, move_out, reading = mover
        values = {"FB_Account": account, "FB_MoveOut": move_out or day}
        if reading is not None:
            values["FB_FinalReading"] = reading
        example("final_bill", values, f"final bill calculator for account {account}")
    if owing is not None:
        account, _ = owing
        example("payoff", {"PO_Account": account, "PO_AsOf": day}, f"payoff calculator for account {account}")
        example("inquiry", {"IQ_Account": account, "IQ_AsOf": day}, f"account inquiry for account {account}")
        past_due = past_due_for(u, account, day)
        if past_due > 0:
            down = round_line(past_due * Decimal("0.25"))
            example("arrangement", {"AR_Account": account, "AR_PastDue": past_due, "AR_Down": down,
                                    "AR_Installments": 4, "AR_FirstDue": day + relativedelta(months=1),
                                    "AR_AsOf": day}, f"arrangement calculator for account {account}")
    example("turnoff", {"TO_AsOf": day}, "turn-off list workbook for the day (Turn-off List button fills it)")
    cash = write_cash_workbook(cash_day(u, day), examples / f"Daily Cash - {day.isoformat()}.xlsx")
    report.output(cash, "the day's daily cash workbook")
    report.line(f"Filled examples in {examples}")
