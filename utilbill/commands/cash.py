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

    @payments.command("open-items")
    @friendly_errors
    def open_items_cmd(home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """The suspense and held items still waiting for a decision, oldest first."""
        from datetime import date

        from ..suspense import open_items

        items = open_items(utility(home, clerk))
        if not items:
            console.print("No suspense or held items are open.")
            return
        t = Table(title=f"Open suspense and held items ({len(items)}, {fmt_money(sum(i.amount for i in items))})")
        for col in ("item", "kind", "received", "batch/row", "account written", "amount", "why"):
            t.add_column(col, justify="right" if col == "amount" else "left", overflow="fold")
        today = date.today()
        for i in items:
            tender = i.tender + (f" {i.check_no}" if i.check_no else "")
            t.add_row(str(i.item_id), i.kind, f"{i.pay_date.isoformat()} ({i.age_days(today)} days)",
                      f"{i.batch_id}/{i.row}", i.account_no or "", fmt_money(i.amount), f"{i.reason} ({tender})")
        console.print(t)
        console.print("Apply: utilbill payments apply ITEM --account ACCOUNT; release a held item: utilbill payments "
                      "apply ITEM; return: utilbill payments return ITEM --reason TEXT")

    @payments.command("apply")
    @friendly_errors
    def apply_cmd(item: int = typer.Argument(..., help="The item number (payments open-items)."),
                  account: Optional[str] = typer.Option(None, "--account",
                                                        help="The account it belongs to (required for suspense; a "
                                                             "held item goes to its own account unless given)."),
                  day: Optional[str] = typer.Option(None, "--date", help="Day of the decision YYYY-MM-DD (default today)."),
                  memo: str = typer.Option("", "--memo", help="Why, for the audit trail."),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Post a suspense item to the right account, or release a held item: a payment dated
        when the money came in, split by fund by the ledger's rule."""
        from ..suspense import apply_item, fund_order

        r = apply_item(utility(home, clerk), item, account_no=account, on=parse_date(day), memo=memo)
        console.print(f"Item {item} {r.kind} to {r.account_no}: {fmt_money(r.amount)} posted as a payment of "
                      f"{r.pay_date.isoformat()} (posting {r.posting_id}).")
        console.print("Out of suspense into: " + ", ".join(f"{f} {fmt_money(r.parts[f])}" for f in fund_order(r.parts)))

    @payments.command("return")
    @friendly_errors
    def return_cmd(item: int = typer.Argument(..., help="The item number (payments open-items)."),
                   reason: str = typer.Option(..., "--reason", help="Why it goes back to the payer."),
                   day: Optional[str] = typer.Option(None, "--date", help="Day of the decision YYYY-MM-DD (default today)."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Return a suspense or held item to the payer: nothing is posted to an account."""
        from ..suspense import return_item

        r = return_item(utility(home, clerk), item, reason=reason, on=parse_date(day))
        console.print(f"Item {item} returned: {fmt_money(r.amount)} out of suspense for a refund ({reason}).")

    @payments.command("transfers")
    @friendly_errors
    def transfers_cmd(day: Optional[str] = typer.Option(None, "--date", help="YYYY-MM-DD (default today)."),
                      out: Optional[Path] = typer.Option(None, "--out", help="Workbook to write (default "
                                                         "output/cash/Suspense-<date>.xlsx)."),
                      home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """The day's decisions on suspense and held items, by fund: the journal moving the money
        out of suspense (written as a workbook too)."""
        from datetime import date

        from ..suspense import transfers_on, write_transfers_workbook

        u = utility(home, clerk)
        on = parse_date(day) or date.today()
        t = transfers_on(u, on)
        if not t.resolutions:
            console.print(f"No suspense or held item was decided on {on.isoformat()}.")
            return
        table = Table(title=f"Suspense transfers for {on.isoformat()}")
        for col in ("item", "decision", "account", "amount", *t.funds):
            table.add_column(col, justify="right" if col not in ("decision", "account") else "left")
        for r in t.resolutions:
            table.add_row(str(r.item_id), r.kind, r.account_no or "", fmt_money(r.amount),
                          *[fmt_money(r.parts.get(f, 0)) for f in t.funds])
        table.add_row("Total", "", "", fmt_money(t.total()), *[fmt_money(t.total(f)) for f in t.funds])
        console.print(table)
        path = write_transfers_workbook(t, out or u.out_dir("cash") / f"Suspense-{on.isoformat()}.xlsx")
        console.print(f"Written: {path}")

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
        from ..suspense import open_items

        waiting = open_items(u, received_by=cd.day)
        if waiting:  # money deposited into suspense that nobody has decided yet
            console.print(f"Suspense and held items still open: {len(waiting)}, "
                          f"{fmt_money(sum(i.amount for i in waiting))}, the oldest received "
                          f"{min(i.pay_date for i in waiting).isoformat()} (utilbill payments open-items)")
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
