"""Effective-dated rate schedules, loaded from a human-editable YAML file (domain §2).

A `RateBook` holds the schedules in effect order; `RateBook.parts(period)` splits a service
period at every schedule change inside it, which is how a bill spanning a rate change is
priced part by part. The file format follows the spirit of the Open Water Rate
Specification (block rates with cumulative bounds, charges by meter size) in plain YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from .money import MoneyError, to_decimal
from .periods import ServicePeriod

METER_SIZES = ("5/8", "3/4", "1", "1-1/2", "2", "3", "4", "6", "8")
CLASSES = ("residential", "commercial")


class RateFileError(ValueError):
    """A rate file that cannot be used, with the file, key and reason."""

    def __init__(self, file, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}")


@dataclass(frozen=True, slots=True)
class Block:
    """Units up to `up_to` (cumulative, per month; None = no upper bound) at `price` per unit."""

    up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class ClassRates:
    water_blocks: tuple[Block, ...]
    water_service_charge: Mapping[str, Decimal]
    wastewater_service_charge: Decimal
    wastewater_volume_price: Decimal
    wastewater_cap: str  # "winter_average" or "none"

    def service_charge(self, meter_size: str) -> Decimal:
        size = normalize_meter_size(meter_size)
        try:
            return self.water_service_charge[size]
        except KeyError:
            raise KeyError(f"no water service charge for meter size {meter_size!r}") from None


@dataclass(frozen=True, slots=True)
class RateSchedule:
    effective: date
    name: str
    classes: Mapping[str, ClassRates]

    def for_class(self, account_class: str) -> ClassRates:
        try:
            return self.classes[account_class]
        except KeyError:
            raise KeyError(f"schedule {self.name!r} has no rates for class {account_class!r}") from None


@dataclass(frozen=True, slots=True)
class RatePart:
    """The part of a service period priced on one schedule."""

    period: ServicePeriod
    schedule: RateSchedule


@dataclass(frozen=True)
class RateBook:
    schedules: tuple[RateSchedule, ...]  # sorted by effective date

    def schedule_on(self, day: date) -> RateSchedule:
        current = None
        for s in self.schedules:
            if s.effective <= day:
                current = s
        if current is None:
            raise KeyError(f"no rate schedule in effect on {day.isoformat()}")
        return current

    def parts(self, period: ServicePeriod) -> list[RatePart]:
        """Split `period` at each schedule change strictly inside it."""
        cuts = [s.effective for s in self.schedules if period.start < s.effective < period.end]
        bounds = [period.start, *cuts, period.end]
        return [
            RatePart(ServicePeriod(a, b), self.schedule_on(a)) for a, b in zip(bounds, bounds[1:])
        ]


def normalize_meter_size(size) -> str:
    """'5/8"', '0.625', 5/8 as text, 1.5, '1 1/2' ... to the canonical size names."""
    if isinstance(size, float) and size.is_integer():
        size = int(size)
    text = str(size).strip().replace('"', "").replace("in", "").replace("inch", "").strip()
    aliases = {"0.625": "5/8", ".625": "5/8", "0.75": "3/4", ".75": "3/4", "1.5": "1-1/2",
               "1 1/2": "1-1/2", "11/2": "1-1/2", "1.0": "1", "2.0": "2", "3.0": "3", "4.0": "4",
               "6.0": "6", "8.0": "8", "5/8x3/4": "5/8", "5/8 x 3/4": "5/8"}
    text = aliases.get(text, text)
    if text not in METER_SIZES:
        raise ValueError(f"unknown meter size {size!r}; sizes: {', '.join(METER_SIZES)}")
    return text


def _dec(file, key, value) -> Decimal:
    try:
        d = to_decimal(value)
    except MoneyError as e:
        raise RateFileError(file, key, str(e)) from None
    if d < 0:
        raise RateFileError(file, key, f"must not be negative, got {value!r}")
    return d


def _class_rates(file, key: str, raw) -> ClassRates:
    if not isinstance(raw, dict):
        raise RateFileError(file, key, "must be a mapping")
    allowed = {"water_blocks", "water_service_charge", "wastewater_service_charge",
               "wastewater_volume_price", "wastewater_cap"}
    for k in raw:
        if k not in allowed:
            raise RateFileError(file, f"{key}.{k}", f"unknown key; expected one of {sorted(allowed)}")
    for k in allowed:
        if k not in raw:
            raise RateFileError(file, f"{key}.{k}", "missing")
    blocks = []
    prev = Decimal(0)
    raw_blocks = raw["water_blocks"]
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise RateFileError(file, f"{key}.water_blocks", "must be a non-empty list")
    for i, b in enumerate(raw_blocks):
        bkey = f"{key}.water_blocks[{i}]"
        if not isinstance(b, dict) or "price" not in b or "up_to" not in b:
            raise RateFileError(file, bkey, "each block needs up_to and price")
        up = None if b["up_to"] is None else _dec(file, bkey + ".up_to", b["up_to"])
        if up is not None and up <= prev:
            raise RateFileError(file, bkey + ".up_to", f"bounds must increase; {up} follows {prev}")
        if up is None and i != len(raw_blocks) - 1:
            raise RateFileError(file, bkey + ".up_to", "only the last block may have no bound")
        blocks.append(Block(up, _dec(file, bkey + ".price", b["price"])))
        prev = up if up is not None else prev
    if blocks[-1].up_to is not None:
        raise RateFileError(file, f"{key}.water_blocks", "the last block must have up_to: null")
    charges = {}
    for size, amount in (raw["water_service_charge"] or {}).items():
        try:
            norm = normalize_meter_size(size)
        except ValueError as e:
            raise RateFileError(file, f"{key}.water_service_charge.{size}", str(e)) from None
        charges[norm] = _dec(file, f"{key}.water_service_charge.{size}", amount)
    cap = str(raw["wastewater_cap"]).strip().lower()
    if cap not in ("winter_average", "none"):
        raise RateFileError(file, f"{key}.wastewater_cap", "must be winter_average or none")
    return ClassRates(
        water_blocks=tuple(blocks),
        water_service_charge=charges,
        wastewater_service_charge=_dec(file, f"{key}.wastewater_service_charge", raw["wastewater_service_charge"]),
        wastewater_volume_price=_dec(file, f"{key}.wastewater_volume_price", raw["wastewater_volume_price"]),
        wastewater_cap=cap,
    )


def load_rates(path: str | Path) -> RateBook:
    from .config import read_yaml

    path = Path(path)
    return rates_from_dict(read_yaml(path, RateFileError, "rate file"), source=path)


def rates_from_dict(raw, source="rates") -> RateBook:
    if not isinstance(raw, dict) or not isinstance(raw.get("schedules"), list) or not raw["schedules"]:
        raise RateFileError(source, "schedules", "must be a non-empty list of schedules")
    schedules = []
    for i, s in enumerate(raw["schedules"]):
        key = f"schedules[{i}]"
        if not isinstance(s, dict):
            raise RateFileError(source, key, "must be a mapping")
        eff = s.get("effective")
        if isinstance(eff, str):
            try:
                eff = date.fromisoformat(eff)
            except ValueError:
                raise RateFileError(source, key + ".effective", f"{eff!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(eff, date):
            raise RateFileError(source, key + ".effective", "missing or not a date (YYYY-MM-DD)")
        classes = s.get("classes")
        if not isinstance(classes, dict) or not classes:
            raise RateFileError(source, key + ".classes", "must map each customer class to its rates")
        parsed = {str(c): _class_rates(source, f"{key}.classes.{c}", r) for c, r in classes.items()}
        schedules.append(RateSchedule(eff, str(s.get("name") or eff.isoformat()), parsed))
    schedules.sort(key=lambda s: s.effective)
    for a, b in zip(schedules, schedules[1:]):
        if a.effective == b.effective:
            raise RateFileError(source, "schedules", f"two schedules take effect on {a.effective}")
    return RateBook(tuple(schedules))


def example_rates() -> RateBook:
    return load_rates(Path(__file__).parent / "example" / "rates.yaml")
