"""One account's bill from its reads: the reference computation every bill path shares.

The cycle bill run, the final bill, special orders and payoff estimates all come here
(domain §2, §3): consumption from the two reads (with rollover and estimates), whether the
period is regular, the winter average in force, pricing line by line, the due date. The
vectorized bill run is tested against this, cent for cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

from .accounts import Account
from .config import Policy
from .consumption import PastUsage, average_daily_units, consumption, estimate_units
from .due_dates import due_date
from .findings import Finding
from .periods import ServicePeriod, is_regular
from .pricing import BillLine, PricedBill, price_bill
from .rates import RateBook
from .winter_average import WinterAverage, winter_average


@dataclass(frozen=True, slots=True)
class ComputedBill:
    account_no: str
    kind: str  # regular | first | final | special | rebill
    bill_date: date
    due_date: date
    period: ServicePeriod
    previous_reading: int | None
    reading: int | None
    units: Decimal
    estimated: bool
    rollover: bool
    regular: bool
    winter: WinterAverage | None
    priced: PricedBill
    estimate_basis: str = ""

    @property
    def lines(self) -> tuple[BillLine, ...]:
        return self.priced.lines

    @property
    def total(self) -> Decimal:
        return self.priced.total

    @property
    def bill_key(self) -> str:
        """Idempotency key: one cycle bill per account and period, whatever its kind; final,
        special and rebills are keyed apart (a rebill is saved with its own key)."""
        base = f"{self.account_no}|{self.period.start.isoformat()}|{self.period.end.isoformat()}"
        return base if self.kind in ("regular", "first") else f"{base}|{self.kind}"


def winter_for(account: Account, history: Sequence[PastUsage], on: date, policy: Policy,
               rates: RateBook) -> WinterAverage | None:
    """The winter average that caps wastewater, or None when the class has no cap."""
    cr = rates.schedule_on(on).for_class(account.account_class)
    if cr.wastewater_cap != "winter_average":
        return None
    if account.winter_average_override is not None:
        return WinterAverage(account.winter_average_override, False, "set on the account", on.year)
    return winter_average(history, on, policy.billing)


def price_account_period(account: Account, period: ServicePeriod, units, *, kind: str,
                         history: Sequence[PastUsage], policy: Policy, rates: RateBook,
                         bill_date: date, previous_reading=None, reading=None, estimated=False,
                         rollover=False, estimate_basis="") -> ComputedBill:
    mpb = policy.billing.months_per_bill(account.account_class)
    regular = is_regular(kind, period.days, mpb, policy.billing.regular_window_days)
    winter = winter_for(account, history, period.start, policy, rates)
    priced = price_bill(
        rates=rates, account_class=account.account_class, meter_size=account.meter_size,
        period=period, units=units, regular=regular, months_per_bill=mpb,
        winter_average=winter.units_per_month if winter else None,
        basis_days=policy.billing.irregular_basis_days,
    )
    return ComputedBill(
        account_no=account.account_no, kind=kind, bill_date=bill_date,
        due_date=due_date(bill_date, policy.billing, policy.calendar), period=period,
        previous_reading=previous_reading, reading=reading, units=Decimal(units) if not isinstance(units, Decimal) else units,
        estimated=estimated, rollover=rollover, regular=regular, winter=winter, priced=priced,
        estimate_basis=estimate_basis,
    )


def bill_from_read(account: Account, *, previous_read_date: date, previous_reading: int,
                   read_date: date, reading: int | None, history: Sequence[PastUsage],
                   policy: Policy, rates: RateBook, bill_date: date, kind: str | None = None,
                   estimate: bool = False) -> ComputedBill | Finding:
    """A bill for `[previous_read_date, read_date)`; a Finding when the read cannot be billed.

    `reading=None` with `estimate=True` makes an estimated read (flag E). `kind` defaults to
    'first' for an account with no bills yet, else 'regular'.
    """
    if read_date <= previous_read_date:
        return Finding(f"read date {read_date} is not after the previous read {previous_read_date}",
                       account=account.account_no, column="read date", value=read_date)
    period = ServicePeriod(previous_read_date, read_date)
    kind = kind or ("regular" if history else "first")
    estimated, rollover, basis = False, False, ""
    if reading is None:
        if not estimate:
            return Finding("no reading (ask for an estimate with --estimate-missing)",
                           account=account.account_no, column="reading")
        units, basis = estimate_units(history, period.start, period.end, policy.billing)
        if units is None:
            return Finding(f"cannot estimate: {basis}", account=account.account_no, column="reading")
        units_i = int(units)
        reading = previous_reading + units_i
        if account.meter_dials:
            reading %= 10**account.meter_dials
        estimated = True
    else:
        avg = average_daily_units(history, period.start, policy.billing.estimate_lookback_days)
        expected = avg * period.days if avg is not None else None
        c = consumption(previous_reading, reading, dials=account.meter_dials, expected_units=expected,
                        policy=policy.billing)
        if c.units is None:
            return Finding(c.problem or "unusable reading", account=account.account_no, column="reading",
                           value=reading)
        units_i, rollover = c.units, c.rollover
    return price_account_period(
        account, period, Decimal(units_i), kind=kind, history=history, policy=policy, rates=rates,
        bill_date=bill_date, previous_reading=previous_reading, reading=reading, estimated=estimated,
        rollover=rollover, estimate_basis=basis,
    )
