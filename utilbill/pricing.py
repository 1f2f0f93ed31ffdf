"""Pricing one bill: water blocks, service charges and wastewater (domain §1, §2).

Given the units used over a service period, the account's class and meter size, whether the
period is regular, and the winter average, produce the bill's charge lines. Each line is
rounded once, half away from zero; the bill's total is the sum of its rounded lines.

Intermediate quantities (day fractions, scaled block bounds, unit shares of a split period)
are kept as exact fractions, so a half cent is a half cent and not 0.004999…; quantities are
shown with 9 decimal places. A period spanning a rate change is split by service days at the
change and each part is priced on its own schedule with its share of the units and months.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .money import CENT, ZERO
from .periods import ServicePeriod, scale_factor
from .rates import RateBook, normalize_meter_size

QTY = Decimal("0.000000001")


def round_fraction(value: Fraction) -> Decimal:
    """An exact fraction rounded half away from zero to the cent."""
    return round_ratio(value.numerator, value.denominator)


def round_ratio(numerator: int, denominator: int) -> Decimal:
    """`numerator / denominator` (denominator > 0) rounded half away from zero to the cent, in
    integer arithmetic: floor(twice the cents of |value|), plus one, halved."""
    cents = (abs(numerator) * 200 // denominator + 1) // 2
    return (Decimal(-cents if numerator < 0 else cents) / 100).quantize(CENT)


def qty(value: Fraction) -> Decimal:
    """A quantity shown to 9 decimal places (display only; arithmetic stays exact)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(QTY, rounding=ROUND_HALF_UP)


def frac(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True, slots=True)
class BillLine:
    """One charge line of a bill, rounded once."""

    code: str  # water_block_1.., water_service, wastewater_service, wastewater_volume
    description: str
    fund: str  # "water" or "wastewater"
    quantity: Decimal  # units or months (9 places, display)
    rate: Decimal
    amount: Decimal
    basis: str  # how the line was computed, in words and figures
    part: int = 0  # which rate part of a split period (0 when not split)


@dataclass(frozen=True, slots=True)
class PricedBill:
    period: ServicePeriod
    units: Decimal
    regular: bool
    months: Decimal  # the scale factor shown (months or days/30)
    wastewater_units: Decimal
    lines: tuple[BillLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((l.amount for l in self.lines), ZERO)

    def fund_totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for l in self.lines:
            out[l.fund] = out.get(l.fund, ZERO) + l.amount
        return out


def _fmt(q: Fraction) -> str:
    if q.denominator == 1:
        return str(q.numerator)
    return f"{qty(q).normalize():f}"


def price_bill(
    *,
    rates: RateBook,
    account_class: str,
    meter_size: str,
    period: ServicePeriod,
    units,
    regular: bool,
    months_per_bill: int,
    winter_average=None,
    basis_days: int = 30,
) -> PricedBill:
    """Price `units` used over `period`.

    `winter_average` is units per month (None when the class has no wastewater cap or the
    caller wants no cap applied; the caller passes the new-customer default itself).
    """
    units_f = frac(units)
    if units_f < 0:
        raise ValueError(f"negative units {units} cannot be priced")
    size = normalize_meter_size(meter_size)
    total_factor = scale_factor(regular, period.days, months_per_bill, basis_days)
    parts = rates.parts(period)
    split = len(parts) > 1
    lines: list[BillLine] = []
    ww_units_total = Fraction(0)
    for pi, part in enumerate(parts, start=1 if split else 0):
        share = Fraction(part.period.days, period.days)
        factor = total_factor * share
        part_units = units_f * share
        cr = part.schedule.for_class(account_class)
        where = f" ({part.period.start.isoformat()} to {part.period.end.isoformat()}, {part.schedule.name})" if split else ""
        scale_words = (
            f"{months_per_bill} months" if regular and not split else
            f"{_fmt(factor)} months" if regular else
            f"{part.period.days}/{basis_days} of a month"
        )
        # water volume blocks
        lower = Fraction(0)
        for bi, block in enumerate(cr.water_blocks, start=1):
            upper = None if block.up_to is None else frac(block.up_to) * factor
            in_block = (min(part_units, upper) if upper is not None else part_units) - lower
            if in_block > 0:
                price = frac(block.price)
                bound_txt = (
                    f"{_fmt(lower)}-{_fmt(upper)} units" if upper is not None else f"over {_fmt(lower)} units"
                )
                lines.append(BillLine(
                    code=f"water_block_{bi}",
                    description=f"Water, block {bi}{where}",
                    fund="water",
                    quantity=qty(in_block),
                    rate=block.price,
                    amount=round_fraction(in_block * price),
                    basis=f"{_fmt(in_block)} units x ${block.price} (block {bi}: {bound_txt}; " + (
                        f"monthly bound {block.up_to} x {scale_words})" if block.up_to is not None
                        else "no upper bound)"),
                    part=pi,
                ))
            if upper is None or part_units <= upper:
                break
            lower = upper
        charge = cr.service_charge(size)
        lines.append(BillLine(
            code="water_service",
            description=f'Water service charge, {size}" meter{where}',
            fund="water",
            quantity=qty(factor),
            rate=charge,
            amount=round_fraction(frac(charge) * factor),
            basis=f"${charge} per month x {scale_words}",
            part=pi,
        ))
        lines.append(BillLine(
            code="wastewater_service",
            description=f"Wastewater service charge{where}",
            fund="wastewater",
            quantity=qty(factor),
            rate=cr.wastewater_service_charge,
            amount=round_fraction(frac(cr.wastewater_service_charge) * factor),
            basis=f"${cr.wastewater_service_charge} per month x {scale_words}",
            part=pi,
        ))
        if cr.wastewater_cap == "winter_average" and winter_average is not None:
            cap = frac(winter_average) * factor
            ww_units = min(part_units, cap)
            ww_basis = (f"lesser of {_fmt(part_units)} water units and winter average "
                        f"{winter_average} x {scale_words} = {_fmt(cap)}")
        else:
            ww_units = part_units
            ww_basis = f"all {_fmt(part_units)} water units"
        ww_units_total += ww_units
        if ww_units > 0:
            lines.append(BillLine(
                code="wastewater_volume",
                description=f"Wastewater volume{where}",
                fund="wastewater",
                quantity=qty(ww_units),
                rate=cr.wastewater_volume_price,
                amount=round_fraction(ww_units * frac(cr.wastewater_volume_price)),
                basis=f"{_fmt(ww_units)} units x ${cr.wastewater_volume_price} ({ww_basis})",
                part=pi,
            ))
    return PricedBill(
        period=period,
        units=qty(units_f).normalize() if units_f.denominator != 1 else Decimal(units_f.numerator),
        regular=regular,
        months=qty(total_factor),
        wastewater_units=qty(ww_units_total),
        lines=tuple(lines),
    )
