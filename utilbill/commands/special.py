"""Commands for special billing: final bills, payoffs, adjustments, review and printing of a
bill run, run verification, and the customer inquiry. Each calls one engine job and prints."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..money import fmt_money
from .common import ClerkOpt, HomeOpt, console, friendly_errors, parse_date, parse_money, utility


def _show(v) -> str:
    if isinstance(v, Decimal):
        return fmt_money(v)
    return "" if v is None else str(v)


def _statement(title: str, rows) -> None:
    t = Table(title=title, show_lines=False)
    t.add_column("item")
    t.add_column("amount", justify="right")
    t.add_column("how it was computed", overflow="fold")
    for desc, amount, basis in rows:
        t.add_row(desc, _show(amount), basis)
    console.print(t)


def register(app: typer.Typer) -> None:
    @app.command("final-bill")
    @friendly_errors
    def final_bill_cmd(account: str = typer.Argument(..., help="Account moving out."),
                       move_out: str = typer.Option(..., "--move-out", help="Move-out date, YYYY-MM-DD."),
                       reading: Optional[int] = typer.Option(None, help="Final meter reading."),
                       estimate: bool = typer.Option(False, help="Estimate the final reading."),
                       new_customer: Optional[str] = typer.Option(None, "--new-customer",
                                                                  help="Name of the new owner or tenant."),
                       new_role: str = typer.Option("owner", "--new-role", help="owner or tenant."),
                       new_mailing: Optional[str] = typer.Option(None, "--new-mailing-address"),
                       new_account: Optional[str] = typer.Option(None, "--new-account", help="New account number."),
                       bill_date: Optional[str] = typer.Option(None, "--bill-date", help="Default: the move-out date."),
                       preview: bool = typer.Option(False, help="Compute and show; post nothing."),
                       out: Optional[Path] = typer.Option(None, help="Folder for the statement (default output/final)."),
                       home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Final bill for a move-out; opens the new customer's account at the same reading."""
        from ..final_bill import final_bill, write_final_statement_pdf, write_final_statement_workbook

        if reading is not None and estimate:
            raise typer.BadParameter("give --reading or --estimate, not both")
        u = utility(home, clerk)
        newc = None
        if new_customer:
            newc = {"customer_name": new_customer, "customer_role": new_role, "mailing_address": new_mailing,
                    "account_no": new_account}
        res = final_bill(u, account, parse_date(move_out, "--move-out"), reading=reading, estimate=estimate,
                         new_customer=newc, post=not preview, bill_date=parse_date(bill_date, "--bill-date"))
        if res.already_posted:
            console.print(f"Account {account} was already final-billed (bill {res.bill_id}); nothing new was posted.")
        _statement(f"Final bill, account {account}", [(d, a, b) for _, d, a, b in res.statement_rows()])
        folder = out or u.out_dir("final")
        stem = f"FinalBill-{account}-{res.move_out.isoformat()}"
        x = write_final_statement_workbook(res, Path(folder) / f"{stem}.xlsx")
        p = write_final_statement_pdf(res, u.policy.utility, Path(folder) / f"{stem}.pdf")
        if res.posted:
            console.print(f"Posted final bill {res.bill_id}; account {account} is now final."
                          + (f" New account {res.new_account_no} opened {res.move_out}." if res.new_account_no else ""))
        elif preview:
            console.print("Preview only: nothing was posted.")
        if res.refund:
            console.print(f"Refund check due to the customer: {fmt_money(res.refund)}")
        if not res.printed:
            console.print(f"Amount due under {fmt_money(res.minimum_print)}: not printed.")
        console.print(f"Statement: {x}\n           {p}")

    @app.command("payoff")
    @friendly_errors
    def payoff_cmd(account: str = typer.Argument(...),
                   as_of: str = typer.Option(..., "--as-of", help="Payoff date, YYYY-MM-DD."),
                   petition_date: Optional[str] = typer.Option(None, "--petition-date", help="Bankruptcy petition date."),
                   chapter: Optional[int] = typer.Option(None, help="Bankruptcy chapter (7, 11 or 13)."),
                   to: List[str] = typer.Option([], "--to", help="Addressee line of the letter (repeat per line)."),
                   out: Optional[Path] = typer.Option(None, help="Folder for the workbook and letter (default output/payoff)."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Payoff through a date (estate, title company, bankruptcy): breakdown workbook and letter."""
        from ..payoff import payoff, write_payoff_letter, write_payoff_workbook

        u = utility(home, clerk)
        res = payoff(u, account, parse_date(as_of, "--as-of"), petition_date=parse_date(petition_date, "--petition-date"),
                     chapter=chapter)
        _statement(f"Payoff, account {account}, as of {res.as_of}",
                   [(i.description, i.amount, i.basis) for i in res.breakdown])
        if res.split is not None:
            sp = res.split
            console.print(f"Pre-petition unpaid {fmt_money(sp.pre_petition)}; post-petition unpaid "
                          f"{fmt_money(sp.post_petition)}; credit {fmt_money(sp.credit)}"
                          + (f"; adequate assurance due by {sp.assurance_deadline}" if sp.assurance_deadline else ""))
        for f in res.findings:
            console.print(f"[yellow]note:[/] {f}")
        folder = Path(out or u.out_dir("payoff"))
        stem = f"Payoff-{account}-{res.as_of.isoformat()}"
        x = write_payoff_workbook(res, folder / f"{stem}.xlsx")
        p = write_payoff_letter(res, u.policy.utility, folder / f"{stem}.pdf", addressee=to)
        console.print(f"Payoff {fmt_money(res.total)}. Breakdown: {x}\nLetter: {p}")

    adjust = typer.Typer(help="Corrections, each a new posting with its audit entry.", no_args_is_help=True)
    app.add_typer(adjust, name="adjust")

    def _print_adjustment(res) -> None:
        if res.already_posted:
            console.print("Already posted: nothing new was posted.")
            return
        _statement(f"{res.kind} on account {res.account_no}", res.details)
        state = "Posted" if res.posted else "Computed (not posted)"
        console.print(f"{state}: net {fmt_money(res.amount)}"
                      + (f"; new bill {res.new_bill_id}" if res.new_bill_id else ""))

    @adjust.command("cancel-rebill")
    @friendly_errors
    def cancel_rebill_cmd(account: str = typer.Argument(...),
                          reading: int = typer.Option(..., help="The corrected reading."),
                          reason: str = typer.Option(..., help="Why the bill was wrong."),
                          bill: Optional[int] = typer.Option(None, help="Bill id (default: the latest bill)."),
                          on: Optional[str] = typer.Option(None, help="Posting date (default today)."),
                          home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Cancel a bill and rebill its period on a corrected reading."""
        from ..adjustments import cancel_rebill

        _print_adjustment(cancel_rebill(utility(home, clerk), account, reading, bill_id=bill, reason=reason,
                                        on=parse_date(on)))

    @adjust.command("leak")
    @friendly_errors
    def leak_cmd(account: str = typer.Argument(...),
                 bill: Optional[int] = typer.Option(None, help="Bill id (default: the latest bill)."),
                 on: Optional[str] = typer.Option(None, help="Posting date (default today)."),
                 home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Leak adjustment: credit half the units above the 12-month average (once in 12 months)."""
        from ..adjustments import leak_adjustment

        _print_adjustment(leak_adjustment(utility(home, clerk), account, bill_id=bill, on=parse_date(on)))

    @adjust.command("general")
    @friendly_errors
    def general_cmd(account: str = typer.Argument(...),
                    amount: str = typer.Option(..., help="+ charge, - credit (e.g. -12.50)."),
                    reason: str = typer.Option(..., help="Reason code (billing.adjustment_reasons)."),
                    memo: str = typer.Option("", help="Note for the audit log."),
                    fund: str = typer.Option("water", help="water, wastewater or fees."),
                    on: Optional[str] = typer.Option(None, help="Posting date (default today)."),
                    home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """A general adjustment with a reason code."""
        from ..adjustments import general_adjustment

        _print_adjustment(general_adjustment(utility(home, clerk), account, parse_money(amount), reason, memo=memo,
                                             fund=fund, on=parse_date(on)))

    @app.command("review")
    @friendly_errors
    def review_cmd(job: int = typer.Argument(..., help="Bill run job id."),
                   out: Optional[Path] = typer.Option(None, help="Folder for the Pull workbook and print file."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Review a bill run before mailing: the Pull sheet and the print file."""
        from ..bill_print import print_bills
        from ..review import review_bills, write_pull_sheet

        u = utility(home, clerk)
        res = review_bills(u, job)
        folder = Path(out or u.out_dir("bills"))
        pull = write_pull_sheet(res, folder / f"Pull-run{job}.xlsx")
        printed = print_bills(u, job, path=folder / f"PrintFile-run{job}.pdf")
        t = Table(title=f"Pulled from run {job} ({len(res.pulled)})")
        for c in ("account", "total", "reasons"):
            t.add_column(c, overflow="fold")
        for rb in res.pulled[:40]:
            t.add_row(rb.account_no, fmt_money(rb.total), "; ".join(rb.reasons))
        console.print(t)
        console.print(f"{len(res.print_list)} bill(s) to print, {len(res.pulled)} pulled."
                      f"\nPull sheet: {pull}\nPrint file: {printed.path}")

    @app.command("print-bills")
    @friendly_errors
    def print_cmd(job: Optional[int] = typer.Option(None, help="Bill run job id (its print list)."),
                  bill: List[int] = typer.Option([], help="Bill id to (re)print; repeat for more."),
                  out: Optional[Path] = typer.Option(None, help="PDF to write."),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Print bills: a run's print list (pulled bills left out) or given bills."""
        from ..bill_print import print_bills

        if job is None and not bill:
            raise typer.BadParameter("give --job or --bill")
        res = print_bills(utility(home, clerk), job, bill_ids=bill or None, path=out)
        console.print(f"{res.printed} bill(s) printed to {res.path}" + (f"; {res.pulled} pulled" if res.pulled else ""))

    @app.command("verify-run")
    @friendly_errors
    def verify_cmd(run: Path = typer.Argument(..., help="Bills workbook of the run to verify."),
                   previous: Optional[Path] = typer.Option(None, help="Another run to compare with."),
                   out: Optional[Path] = typer.Option(None, help="Differences workbook to write."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Recompute every bill of a run and list, field by field, where it differs."""
        from ..verify_run import verify_run, write_verify_workbook

        u = utility(home, clerk)
        res = verify_run(u, run, previous=previous)
        t = Table(title=f"Differences in {run.name} ({len(res.differences)})")
        for c in ("account", "what", "field", "in run", "expected", "note"):
            t.add_column(c, overflow="fold")
        for d in (res.differences + res.against_previous)[:60]:
            r = d.as_row()
            t.add_row(r["account"], r["what"], r["field"], r["in_run"], r["expected"], r["note"])
        console.print(t)
        path = write_verify_workbook(res, out or u.out_dir("verify") / f"Verify-{run.stem}.xlsx")
        console.print(f"{res.checked} bill(s) checked, {res.bills_differing} with differences"
                      + (f"; {len(res.against_previous)} difference(s) against {previous.name}" if previous else "")
                      + f".\nWorkbook: {path}")
        if res.differences:
            raise typer.Exit(1)

    @app.command("account")
    @friendly_errors
    def account_cmd(account: str = typer.Argument(...),
                    as_of: Optional[str] = typer.Option(None, "--as-of", help="Default today."),
                    out: Optional[Path] = typer.Option(None, help="Also write the inquiry workbook here."),
                    home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Customer inquiry: the account, its recent history, and its latest bill explained."""
        from ..inquiry import account_inquiry, write_inquiry_workbook

        inq = account_inquiry(utility(home, clerk), account, parse_date(as_of, "--as-of"))
        t = Table(show_header=False, title=f"Account {account}")
        t.add_column(style="bold")
        t.add_column()
        for k, v in inq.summary():
            t.add_row(k, v)
        console.print(t)
        h = Table(title="Recent history")
        for c in ("date", "description", "amount", "balance"):
            h.add_column(c, justify="right" if c in ("amount", "balance") else "left")
        for r in inq.history[-20:]:
            h.add_row(r["date"].isoformat(), r["description"], fmt_money(r["amount"]), fmt_money(r["balance"]))
        console.print(h)
        if inq.explanation:
            console.print("[bold]Latest bill explained[/]")
            for line in inq.explanation:
                console.print(f"  - {line}")
        if out:
            console.print(f"Workbook: {write_inquiry_workbook(inq, out)}")
