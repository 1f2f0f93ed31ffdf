"""Commands of the cash desk: post payment batches, count drawers, write and check the daily
cash workbook. Each command parses options, calls one engine job and prints its result."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..layouts import PAYMENT_SOURCES
from ..money import fmt_money
from .common import ClerkOpt, HomeOpt, console, err_console, friendly_errors, parse_date, parse_money, print_findings, utility


def register(app: typer.Typer) -> None:
    payments = typer.Typer(help="Payment batches: walk-in, mail, telepay, bank pay bills, online, permits.",
                           no_args_is_help=True)
    cash = typer.Typer(help="The daily cash: drawer counts, the daily cash workbook and its check.",
                       no_args_is_help=True)
    app.add_typer(payments, name="payments")
    app.add_typer(cash, name="cash")

    @payments.command("post")
    @friendly_errors
    def post_cmd(file: Path = typer.Argument(..., help="The batch (.xlsx or .csv) with its ticket above the table."),
                 source: str = typer.Option(..., "--source", help=" | ".join(PAYMENT_SOURCES)),
                 control_count: Optional[int] = typer.Option(None, "--control-count",
                                                             help="Items on the tape (instead of 'Control count' on the sheet)."),
                 control_total: Optional[str] = typer.Option(None, "--control-total",
                                                             help="Total on the tape (instead of 'Control total' on the sheet)."),
                 day: Optional[str] = typer.Option(None, "--date", help="Batch date YYYY-MM-DD (default: the sheet's, else today)."),
                 drawer: Optional[str] = typer.Option(None, "--drawer", help="Cash drawer of a walk-in batch."),
                 home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Check a payment batch and post it, in one transaction, when it balances."""
        from ..payments import post_payment_batch

        u = utility(home, clerk)
        res = post_payment_batch(u, file, source, control_count=control_count, control_total=parse_money(control_total),
                                 batch_date=parse_date(day), drawer=drawer)
        if res.already_posted:
            console.print(f"{file.name} was already posted (batch {res.batch_id}); nothing new was posted.")
            return
        if not res.posted:
            print_findings(res.findings, title=f"{file.name} was not posted")
            raise typer.Exit(2)
        print_findings([f for f in res.findings if f.severity != "error"], title="Notes")
        t = Table(title=f"Batch {res.batch_id} ({res.source}) {res.batch_date}: {res.item_count} items, "
                        f"{fmt_money(res.item_total)} - balanced to its control")
        t.add_column("row")
        t.add_column("account")
        t.add_column("amount", justify="right")
        t.add_column("what became of it")
        for i in res.items:
            if i.disposition in ("suspense", "held"):
                t.add_row(str(i.row), i.account_no or "", fmt_money(i.amount), f"{i.disposition}: {i.reason}")
        if t.row_count:
            console.print(t)
        counts = {d: len(res.with_disposition(d)) for d in ("posted", "suspense", "held", "electric", "permit")}
        console.print(", ".join(f"{n} {d}" for d, n in counts.items() if n))
        console.print("By fund: " + ", ".join(f"{f} {fmt_money(a)}" for f, a in sorted(res.fund_totals().items())))

    @cash.command("day")
    @friendly_errors
    def day_cmd(day: str = typer.Argument(..., help="Business day YYYY-MM-DD."),
                out: Optional[Path] = typer.Option(None, help="Workbook to write (default output/cash/)."),
                home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Write the daily cash workbook (live formulas) and print the day's balance checks."""
        from ..cash_day import cash_day
        from ..cash_workbook import write_cash_workbook

        u = utility(home, clerk)
        cd = cash_day(u, parse_date(day))
        path = write_cash_workbook(cd, out or u.out_dir("cash") / f"daily-cash-{cd.day.isoformat()}.xlsx")
        _print_checks(cd)
        console.print(f"Wrote {path}")

    @cash.command("check")
    @friendly_errors
    def check_cmd(file: Path = typer.Argument(..., help="The daily cash workbook after the counts were typed."),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Recompute every figure of a daily cash workbook and report each difference."""
        from ..cash_check import check_cash_workbook

        if not file.exists():
            raise FileNotFoundError(f"no such file: {file}")
        u = utility(home, clerk)
        res = check_cash_workbook(u, file)
        _print_checks(res.cash_day)
        console.print(f"{res.cells_checked} formula cells checked against utilbill's figures ({res.values_from}).")
        for d in res.differences[:60]:
            err_console.print(f"  - {d}")
        if len(res.differences) > 60:
            err_console.print(f"  ... and {len(res.differences) - 60} more")
        console.print(f"Status: [bold]{res.status}[/]")
        if res.differences:
            raise typer.Exit(1)

    @cash.command("count")
    @friendly_errors
    def count_cmd(day: str = typer.Argument(..., help="Business day YYYY-MM-DD."),
                  drawer: str = typer.Argument(..., help="Drawer id (cash.drawers)."),
                  quantities: List[str] = typer.Argument(None, help="code=count, e.g. bill_20=12 coin_25=8"),
                  checks_count: Optional[int] = typer.Option(None, "--checks-count"),
                  checks_total: Optional[str] = typer.Option(None, "--checks-total"),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Record a drawer's count by denomination (bill_100 ... bill_1, coin_100 ... coin_1) and its checks."""
        from ..cash_day import record_drawer_count

        parsed = {}
        for q in quantities or []:
            code, _, n = q.partition("=")
            if not n.isdigit():
                raise typer.BadParameter(f"{q!r}: write code=count, e.g. bill_20=12")
            parsed[code] = int(n)
        u = utility(home, clerk)
        try:
            record_drawer_count(u, parse_date(day), drawer, parsed, checks_count=checks_count,
                                checks_total=parse_money(checks_total))
        except ValueError as e:
            raise typer.BadParameter(str(e))
        console.print(f"Recorded the count of {drawer} for {day}.")

    @cash.command("petty")
    @friendly_errors
    def petty_cmd(day: str = typer.Argument(...), on_hand: str = typer.Option(..., "--on-hand"),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Record the cash found in the petty cash envelope."""
        from ..cash_day import record_petty_cash

        record_petty_cash(utility(home, clerk), parse_date(day), parse_money(on_hand))
        console.print(f"Recorded petty cash on hand {on_hand} for {day}.")

    @cash.command("voucher")
    @friendly_errors
    def voucher_cmd(day: str = typer.Argument(...), voucher_no: str = typer.Argument(...),
                    payee: str = typer.Argument(...), amount: str = typer.Argument(...),
                    purpose: str = typer.Option("", "--purpose"),
                    home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Record a petty cash voucher put in the envelope."""
        from ..cash_day import add_petty_voucher

        add_petty_voucher(utility(home, clerk), parse_date(day), voucher_no, payee, parse_money(amount), purpose)
        console.print(f"Recorded voucher {voucher_no} ({payee}, {amount}).")

    @cash.command("bank-report")
    @friendly_errors
    def bank_report_cmd(file: Path = typer.Argument(..., help="The bank's report: date, bank, items, total."),
                        home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Record the bank's report of the pay bills it took."""
        from ..cash_day import record_bank_report

        lines = record_bank_report(utility(home, clerk), file)
        for d, line in lines:
            console.print(f"{d} {line.bank}: {line.items} items, {fmt_money(line.total)}")
        if not lines:
            console.print(f"{file.name} was already recorded; nothing new.")


def _print_checks(cd) -> None:
    t = Table(title=f"Daily cash {cd.day.isoformat()}")
    for c in ("check", "figure", "against", "status"):
        t.add_column(c, justify="right" if c in ("figure", "against") else "left")
    for c in cd.checks():
        t.add_row(c.label, fmt_money(c.figure), fmt_money(c.against), c.status)
    console.print(t)
