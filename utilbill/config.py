"""The utility's configuration: one YAML file of policies and a rate file, loaded once.

Every number of domain.md is a default of the shipped example configuration
(`utilbill/example/utility.yaml`), never a constant in code. Policies are frozen records
passed into the rules (design.md, example 5). A bad configuration fails at load time with
the file, the key and the reason; unknown keys are refused so a typo cannot silently fall
back to a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from .business_days import BusinessCalendar
from .money import MoneyError, to_decimal

EXAMPLE_DIR = Path(__file__).parent / "example"


class ConfigError(ValueError):
    def __init__(self, file, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}")


@dataclass(frozen=True)
class UtilityInfo:
    name: str = "Sample City Water & Wastewater"
    department: str = "Utility Billing Office"
    address: str = ""
    phone: str = ""
    email: str = ""
    office_hours: str = ""
    clerk_id: str | None = None


@dataclass(frozen=True)
class ClassBilling:
    months_per_bill: int


@dataclass(frozen=True)
class RecomputeDate:
    month: int = 4
    day: int = 1


@dataclass(frozen=True)
class BillingPolicy:
    classes: dict[str, ClassBilling]
    regular_window_days: dict[int, tuple[int, int]]
    irregular_basis_days: int = 30
    due_days: int = 21
    late_charge_rate: Decimal = Decimal("0.015")
    estimate_lookback_days: int = 365
    winter_months: tuple[int, ...] = (1, 2, 3)
    winter_average_recompute: RecomputeDate = RecomputeDate()
    default_winter_average: Decimal = Decimal("6")
    rollover_plausible_factor: Decimal = Decimal("3")
    minimum_bill_print: Decimal = Decimal("1.00")
    payoff_whole_units: bool = True  # payoff estimates round units like an estimated read
    adjustment_reasons: dict[str, str] = field(default_factory=lambda: {
        "BILLING_ERROR": "billing error", "METER_ERROR": "meter or read error",
        "COURTESY": "one-time courtesy credit", "CHARGE_CORRECTION": "charge correction",
        "WRITE_UP": "charge omitted from a bill"})

    def months_per_bill(self, account_class: str) -> int:
        try:
            return self.classes[account_class].months_per_bill
        except KeyError:
            raise KeyError(f"no billing frequency configured for class {account_class!r}") from None


@dataclass(frozen=True)
class ReviewPolicy:
    high_use_percent: Decimal = Decimal("200")
    low_use_percent: Decimal = Decimal("50")
    consecutive_estimates: int = 2
    max_total: dict[str, Decimal] = field(default_factory=dict)
    special_handling_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionsPolicy:
    notice_min_past_due: Decimal = Decimal("50.00")
    notice_min_age_days: int = 30
    turnoff_business_days: int = 7
    medical_certificate_business_days: int = 5
    medical_postponement_days: int = 30
    turnoff_min_past_due: Decimal = Decimal("50.00")
    daily_crew_capacity: int = 40
    aging_buckets: tuple[int, ...] = (0, 30, 60, 90)
    # credit analysis: points per event in the last risk_lookback_months, band thresholds
    risk_weights: dict[str, int] = field(default_factory=lambda: {
        "late_bill": 1, "returned_payment": 3, "broken_arrangement": 4, "past_due_now": 2, "new_account": 1})
    risk_bands: tuple[int, int] = (3, 6)  # medium from 3 points, high from 6
    risk_lookback_months: int = 12


@dataclass(frozen=True)
class ArrangementPolicy:
    min_down_percent: Decimal = Decimal("20")
    max_installments: int = 6
    max_installments_with_assistance: int = 12
    grace_days: int = 5
    broken_lookback_months: int = 12


@dataclass(frozen=True)
class ExtensionPolicy:
    max_business_days: int = 10
    max_per_12_months: int = 2


@dataclass(frozen=True)
class AssistancePolicy:
    program: str = "LIHWAP"
    income_limit_fpl_percent: Decimal = Decimal("150")
    max_benefit_per_federal_fiscal_year: Decimal = Decimal("2500.00")
    contact: str = ""
    pending_hold_days: int = 30


@dataclass(frozen=True)
class BankruptcyPolicy:
    assurance_days: dict[int, int] = field(default_factory=lambda: {7: 20, 11: 30, 13: 20})


@dataclass(frozen=True)
class ReturnedPaymentPolicy:
    fee: Decimal = Decimal("30.00")
    cash_only_after_returns: int = 2
    cash_only_lookback_months: int = 12
    max_represent: int = 2


@dataclass(frozen=True)
class LeakAdjustmentPolicy:
    share_of_excess: Decimal = Decimal("0.5")
    once_per_months: int = 12


@dataclass(frozen=True)
class CashPolicy:
    opening_fund: Decimal = Decimal("150.00")
    petty_cash_fund: Decimal = Decimal("100.00")
    drawers: tuple[str, ...] = ("DRAWER-1",)


@dataclass(frozen=True)
class CalendarConfig:
    federal: bool = True
    nebraska: bool = True
    closure_rules: tuple[str, ...] = ()
    closures: tuple[date, ...] = ()


@dataclass(frozen=True)
class StoreConfig:
    url: str | None = None
    backups_keep: int = 10
    # bill runs, imports and the late-charge job back the store up before they post
    backup_before_bulk: bool = True
    # per-transaction jobs (payment batches, final bills, adjustments, returned payments) back
    # it up only when the newest backup is older than this; 0 = before every one
    backup_interval_minutes: int = 60


@dataclass(frozen=True)
class Policy:
    """Everything the rules need to know about one utility."""

    utility: UtilityInfo
    billing: BillingPolicy
    review: ReviewPolicy
    collections: CollectionsPolicy
    arrangements: ArrangementPolicy
    extensions: ExtensionPolicy
    assistance: AssistancePolicy
    bankruptcy: BankruptcyPolicy
    returned_payments: ReturnedPaymentPolicy
    leak_adjustment: LeakAdjustmentPolicy
    cash: CashPolicy
    calendar_config: CalendarConfig
    store: StoreConfig
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


# --- loading ---------------------------------------------------------------------------

def _convert(file, key: str, tp, value):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)][0]
        return _convert(file, key, inner, value)
    if tp is Decimal:
        try:
            return to_decimal(value)
        except MoneyError as e:
            raise ConfigError(file, key, str(e)) from None
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(file, key, f"must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(file, key, f"must be a whole number, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, (str, int, float)):
            raise ConfigError(file, key, f"must be text, got {value!r}")
        return str(value)
    if tp is date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(file, key, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(file, key, f"must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(file, f"{key}[{i}]", args[0], v) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(file, key, f"must have {len(args)} items, got {value!r}")
        return tuple(_convert(file, f"{key}[{i}]", a, v) for i, (a, v) in enumerate(zip(args, value)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(file, key, f"must be a mapping, got {value!r}")
        kt, vt = args
        return {_convert(file, f"{key}.{k}", kt, k): _convert(file, f"{key}.{k}", vt, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(file, key, tp, value)
    raise TypeError(f"config type {tp!r} not supported")  # a bug, not a user error


def _build(file, key: str, cls, raw):
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(file, key, f"must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k in raw:
        if k not in fields:
            raise ConfigError(file, f"{key}.{k}" if key else k, f"unknown key; expected one of {sorted(fields)}")
    kwargs = {}
    for name, f in fields.items():
        sub = f"{key}.{name}" if key else name
        if name in raw:
            kwargs[name] = _convert(file, sub, hints[name], raw[name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(file, sub, "missing")
    return cls(**kwargs)


SECTIONS = {
    "utility": UtilityInfo, "billing": BillingPolicy, "review": ReviewPolicy,
    "collections": CollectionsPolicy, "arrangements": ArrangementPolicy,
    "extensions": ExtensionPolicy, "assistance": AssistancePolicy, "bankruptcy": BankruptcyPolicy,
    "returned_payments": ReturnedPaymentPolicy, "leak_adjustment": LeakAdjustmentPolicy,
    "cash": CashPolicy, "calendar": CalendarConfig, "store": StoreConfig,
}


def policy_from_dict(raw, file="utility.yaml") -> Policy:
    if not isinstance(raw, dict):
        raise ConfigError(file, "(file)", "must be a mapping of sections")
    for k in raw:
        if k not in SECTIONS:
            raise ConfigError(file, k, f"unknown section; expected one of {sorted(SECTIONS)}")
    parts = {}
    for name, cls in SECTIONS.items():
        if name not in raw and name in ("billing",):
            raise ConfigError(file, name, "missing")
        parts[name] = _build(file, name, cls, raw.get(name))
    billing: BillingPolicy = parts["billing"]
    for cls_name, cb in billing.classes.items():
        if cb.months_per_bill not in billing.regular_window_days:
            raise ConfigError(file, f"billing.classes.{cls_name}.months_per_bill",
                              f"no regular_window_days entry for {cb.months_per_bill} month(s)")
    for m, (lo, hi) in billing.regular_window_days.items():
        if not 0 < lo <= hi:
            raise ConfigError(file, f"billing.regular_window_days.{m}", "must be [low, high] days with low <= high")
    cal: CalendarConfig = parts["calendar"]
    try:
        calendar = BusinessCalendar(cal.federal, cal.nebraska, cal.closure_rules, frozenset(cal.closures))
    except ValueError as e:
        raise ConfigError(file, "calendar.closure_rules", str(e)) from None
    calendar_config = parts.pop("calendar")
    return Policy(**parts, calendar_config=calendar_config, calendar=calendar)


def read_yaml(path: Path, error: type[ValueError], what: str):
    """A YAML file's content; a missing or malformed file raises `error(file, "(file)", reason)`."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(path, "(file)", f"{what} not found") from None
    except yaml.YAMLError as e:
        raise error(path, "(file)", f"not valid YAML: {e}") from None


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    return policy_from_dict(read_yaml(path, ConfigError, "configuration file"), file=path)


def example_policy() -> Policy:
    return load_policy(EXAMPLE_DIR / "utility.yaml")
