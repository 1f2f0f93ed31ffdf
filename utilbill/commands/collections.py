"""Collections commands: aging, notices, the turn-off list, holds, arrangements, extensions,
assistance, returned payments and credit analysis. Each parses options, calls one engine
job, writes its paperwork and prints what happened."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import typer

from ..arrangement_jobs import (
    assistance_pending,
    grant_extension,
    make_arrangement,
    monitor_arrangements,
    refer_assistance,
)
from ..collections_docs import (
    write_arrangement_agreement,
    write_door_hangers,
    write_landlord_letters,
    write_notices,
    write_referral_letter,
    write_returned_payment_letter,
    write_third_party_copies,
    write_work_orders,
)
from ..collections_jobs import (
    IssuedNotice,
    aging,
    case_for,
    issue_notices,
    record_conference,
    record_landlord,
    record_medical,
    turnoff_list,
)
from ..collections_workbooks import (
    write_aging_workbook,
    write_portfolio_workbook,
    write_turnoff_workbook,
)
from ..credit_jobs import credit_profile_for, portfolio
from ..money import fmt_money, to_money
from ..returned_payment_job import returned_payment
from .common import ClerkOpt, HomeOpt, console, friendly_errors, parse_date, utility

AsOf = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD); default today.")


def _day(text: str | None) -> date:
    """An --as-of style option: the date given, else today."""
    return parse_date(text or None) or date.today()


def _money(text: str) -> Decimal:
    try:
        return to_money(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an amount") from None


def register(app: typer.Typer) -> None:
    notices_app = typer.Typer(help="Turn-off notices.", no_args_is_help=True)
    assist_app = typer.Typer(help="Assistance referral and pending applications.", no_args_is_help=True)
    credit_app = typer.Typer(help="Credit analysis.", no_args_is_help=True)
    app.add_typer(notices_app, name="notices")
    app.add_typer(assist_app, name="assistance")
    app.add_typer(credit_app, name="credit")

    @app.command("aging")
    @friendly_errors
    def aging_cmd(as_of: str | None = AsOf, out: Path | None = typer.Option(None, help="Workbook to write."),
                  home: Path | None = HomeOpt):
        """Past due per account and per bill in age buckets, by class (workbook)."""
        u = utility(home)
        d = _day(as_of)
        report = aging(u, d)
        path = write_aging_workbook(report, out or u.out_dir("collections") / f"aging-{d.isoformat()}.xlsx")
        for cls, row in report.by_class().items():
            console.print(f"{cls:12} " + "  ".join(f"{k}: {fmt_money(v)}" for k, v in row.items()))
        console.print(f"past due {fmt_money(report.past_due)}; workbook {path}")

    @notices_app.command("issue")
    @friendly_errors
    def notices_issue(as_of: str | None = AsOf, home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Issue the day's turn-off notices (idempotent) and print them, with third-party copies
        and landlord letters; notices whose past due was paid are removed first."""
        u = utility(home, clerk)
        d = _day(as_of)
        run = issue_notices(u, d)
        out = u.out_dir("collections", d.isoformat())
        new = [i for i in run.issued if i.new]
        console.print(f"{len(new)} notices issued for {d} ({len(run.issued) - len(new)} already issued today); "
                      f"{len(run.removed)} notices removed as paid")
        if not new and run.issued:
            console.print("Re-run: nothing new was recorded.")
        _print_notices(run.issued, u, out)

    def _print_notices(issued: list[IssuedNotice], u, out: Path) -> None:
        if not issued:
            return
        console.print(f"  notices: {write_notices(issued, u.policy, out / 'notices.pdf')}")
        p = write_third_party_copies(issued, u.policy, out / "notice-third-party-copies.pdf")
        if p:
            console.print(f"  third-party copies: {p}")
        p = write_landlord_letters(issued, u.policy, out / "landlord-letters.pdf")
        if p:
            console.print(f"  landlord letters: {p}")

    @app.command("turnoff-list")
    @friendly_errors
    def turnoff_cmd(as_of: str | None = AsOf,
                    capacity: int | None = typer.Option(None, help="Crew capacity (default: configured)."),
                    home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """The properties that can be worked today, with a reason on every account; work orders,
        door hangers and the list as a workbook."""
        u = utility(home, clerk)
        d = _day(as_of)
        tl = turnoff_list(u, d, capacity=capacity)
        out = u.out_dir("collections", d.isoformat())
        console.print(f"{len(tl.included)} on the list (capacity {tl.capacity}); {len(tl.excluded)} left out; "
                      f"{len(tl.removed)} notices removed as paid")
        for e in tl.included[:20]:
            console.print(f"  {e.rank:3}. {e.account_no:12} {fmt_money(e.past_due):>12}  {e.reason}")
        console.print(f"  workbook: {write_turnoff_workbook(tl, out / 'turnoff-list.xlsx')}")
        console.print(f"  work orders: {write_work_orders(tl, u.policy, out / 'work-orders.pdf')}")
        console.print(f"  door hangers: {write_door_hangers(tl, u.policy, out / 'door-hangers.pdf')}")

    @app.command("landlord")
    @friendly_errors
    def landlord_cmd(account: str, answer: str = typer.Argument(..., help="hold or proceed"),
                     on: str | None = typer.Option(None, "--on", help="Date of the request (default today)."),
                     until: str | None = typer.Option(None, help="A hold ends on this date (default: open)."),
                     home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Record a landlord's request for a rental: hold or proceed."""
        u = utility(home, clerk)
        record_landlord(u, account, answer.lower(), _day(on), until=_day(until) if until else None)
        console.print(f"Recorded: landlord says {answer.lower()} for {account}")

    @app.command("conference")
    @friendly_errors
    def conference_cmd(account: str, requested: str | None = typer.Option(None, help="Request date."),
                       held: str | None = typer.Option(None, help="Date the conference was held (ends the hold)."),
                       home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Record a conference request (no turn-off while pending), or that it was held."""
        u = utility(home, clerk)
        record_conference(u, account, _day(requested), held=_day(held) if held else None)
        console.print(f"Recorded: conference {'held' if held else 'pending'} for {account}")

    @app.command("medical")
    @friendly_errors
    def medical_cmd(account: str, filed: str | None = typer.Option(None, help="Date the certificate was filed."),
                    physician: str = typer.Option("", help="Physician's name."),
                    home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Record a physician's certificate (postpones turn-off, once per past-due amount)."""
        u = utility(home, clerk)
        record_medical(u, account, _day(filed), physician=physician)
        console.print(f"Recorded: medical postponement for {account}")

    @app.command("arrangement")
    @friendly_errors
    def arrangement_cmd(account: str, down: str = typer.Option(..., help="Down payment."),
                        installments: int = typer.Option(..., help="Number of monthly installments."),
                        first_due: str | None = typer.Option(None, help="First installment due (default +1 month)."),
                        as_of: str | None = AsOf,
                        override: str | None = typer.Option(None, help="Supervisor override: the reason."),
                        dry_run: bool = typer.Option(False, help="Show the schedule; record nothing."),
                        home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Make a payment arrangement: eligibility, schedule and agreement letter."""
        u = utility(home, clerk)
        d = _day(as_of)
        r = make_arrangement(u, account, _money(down), installments, as_of=d,
                             first_due=_day(first_due) if first_due else None, override_reason=override,
                             dry_run=dry_run)
        console.print(f"{account}: past due {fmt_money(r.past_due)}; {r.eligibility}")
        if not r.eligibility.eligible:
            raise typer.Exit(1)
        for i in r.installments:
            console.print(f"  {i.number:2}. {i.due_date}  {fmt_money(i.amount):>10}  remaining {fmt_money(i.remaining)}")
        if r.made:
            path = write_arrangement_agreement(r, u.policy, u.out_dir("collections", d.isoformat())
                                               / f"arrangement-{account}.pdf")
            console.print(f"  arrangement {r.arrangement_id} recorded; agreement {path}")

    @app.command("arrangement-monitor")
    @friendly_errors
    def monitor_cmd(as_of: str | None = AsOf, home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Mark arrangements kept, current or broken as of a date."""
        u = utility(home, clerk)
        lines = monitor_arrangements(u, _day(as_of))
        for status in ("current", "kept", "broken"):
            console.print(f"{status}: {sum(1 for l in lines if l.status == status)}")
        for l in lines:
            if l.status == "broken":
                console.print(f"  broken {l.account_no} on {l.status_date}: {l.missed} (paid {fmt_money(l.paid)}, "
                              f"required {fmt_money(l.required_now)})")

    @app.command("extension")
    @friendly_errors
    def extension_cmd(account: str, days: int = typer.Option(..., help="Business days."), as_of: str | None = AsOf,
                      reason: str = typer.Option("", help="Why."), home: Path | None = HomeOpt,
                      clerk: str | None = ClerkOpt):
        """Grant a credit extension (up to 10 business days, at most twice in 12 months)."""
        u = utility(home, clerk)
        r = grant_extension(u, account, days, as_of=_day(as_of), reason=reason)
        if not r.decision.granted:
            console.print(f"{account}: extension refused: " + "; ".join(r.decision.reasons))
            raise typer.Exit(1)
        console.print(f"{account}: {fmt_money(r.past_due)} extended to {r.decision.new_due}")

    @assist_app.command("refer")
    @friendly_errors
    def assist_refer(account: str, as_of: str | None = AsOf, home: Path | None = HomeOpt,
                     clerk: str | None = ClerkOpt):
        """Refer the household to the assistance program; prints the referral letter."""
        u = utility(home, clerk)
        d = _day(as_of)
        r = refer_assistance(u, account, as_of=d)
        path = write_referral_letter(r, u.policy, u.out_dir("collections", d.isoformat()) / f"referral-{account}.pdf")
        console.print(f"{account}: referred to {r.terms.program}; letter {path}")

    @assist_app.command("pending")
    @friendly_errors
    def assist_pending(account: str, applied: str | None = typer.Option(None, help="Application date."),
                       until: str | None = typer.Option(None, help="Hold ends (default applied + 30 days)."),
                       case_number: str = typer.Option("", help="Program case number."),
                       home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Record a pending assistance application (holds turn-off)."""
        u = utility(home, clerk)
        r = assistance_pending(u, account, applied=_day(applied), end=_day(until) if until else None,
                               case_number=case_number)
        console.print(f"{account}: turn-off held until {r.hold_end} (application pending)")

    @app.command("returned-payment")
    @friendly_errors
    def returned_cmd(account: str, code: str = typer.Option(..., help="NSF for a check, else the NACHA R-code."),
                     on: str | None = typer.Option(None, "--date", help="Return date (default today)."),
                     posting: int | None = typer.Option(None, help="The payment's posting id."),
                     check: str | None = typer.Option(None, help="Check number (with --amount)."),
                     amount: str | None = typer.Option(None, help="Amount of the returned payment."),
                     home: Path | None = HomeOpt, clerk: str | None = ClerkOpt):
        """Post a returned check or ACH debit: reversal, fee, letter, cash-only, notice."""
        u = utility(home, clerk)
        d = _day(on)
        u.backup_before("returned-payment", bulk=False)
        r = returned_payment(u, account, return_date=d, code=code, payment_posting_id=posting, check_no=check,
                             amount=_money(amount) if amount else None)
        if r.already:
            console.print(f"{account}: this return was already recorded; nothing posted.")
            return
        out = u.out_dir("collections", d.isoformat())
        console.print(f"{account}: payment of {fmt_money(-r.payment.amount)} reversed; fee {fmt_money(r.fee)}; "
                      f"{r.action.explanation}; past due {fmt_money(r.past_due_after)}")
        if r.cash_only_set:
            console.print(f"  account is now cash-only ({r.returns_in_window} returns in 12 months)")
        console.print(f"  letter: {write_returned_payment_letter(r, u.policy, out / f'returned-payment-{account}.pdf')}")
        if r.notice is not None:
            case = case_for(u, account, d)
            path = write_notices([IssuedNotice(r.notice, case, True)], u.policy, out / f"notice-{account}.pdf")
            console.print(f"  turn-off notice: earliest turn-off {r.notice.earliest_turnoff}; {path}")

    @credit_app.command("profile")
    @friendly_errors
    def credit_profile_cmd(account: str, as_of: str | None = AsOf, home: Path | None = HomeOpt):
        """One account's payment record and risk score, with the score's arithmetic."""
        u = utility(home)
        p = credit_profile_for(u, account, _day(as_of))
        console.print(f"{account}: {p.on_time} of {p.bills_due} bills on time ({p.on_time_percent}%), average "
                      f"{p.average_days_late} days late; {p.returned_payments} returned payments; "
                      f"{p.broken_arrangements} broken arrangements; highest past due {fmt_money(p.highest_past_due)}; "
                      f"{p.months_of_service} months of service")
        console.print("  score: " + " + ".join(f"{pts} ({what}: {n})" for what, n, pts in p.score_parts)
                      + f" = {p.score} -> {p.band}")

    @credit_app.command("portfolio")
    @friendly_errors
    def credit_portfolio_cmd(as_of: str | None = AsOf, out: Path | None = typer.Option(None),
                             home: Path | None = HomeOpt):
        """Aging by class and accounts by risk band, as a workbook with a chart."""
        u = utility(home)
        d = _day(as_of)
        pf = portfolio(u, d)
        path = write_portfolio_workbook(pf, out or u.out_dir("collections") / f"credit-portfolio-{d.isoformat()}.xlsx")
        for cls, row in pf.band_counts().items():
            console.print(f"{cls:12} " + "  ".join(f"{b}: {n}" for b, n in row.items()))
        console.print(f"workbook {path}")
