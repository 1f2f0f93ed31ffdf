"""The account record the rules see: who is served, where, by which meter, with which flags.

Special-handling flags (domain §4) pull an account's bills from the regular mailing and shape
its notices: bankruptcy, estate (deceased), returned_mail, hold_mail, landlord_copy,
third_party (a designee gets a copy of notices), large_commercial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

FLAGS = ("bankruptcy", "estate", "returned_mail", "hold_mail", "landlord_copy", "third_party",
         "large_commercial")


@dataclass(frozen=True, slots=True)
class Account:
    account_no: str
    premise_id: str
    account_class: str
    status: str
    customer_name: str
    customer_role: str
    service_address: str
    mailing_address: str
    meter_size: str
    service_start: date
    meter_dials: int | None = None
    meter_id: str | None = None
    service_end: date | None = None
    email: str | None = None
    phone: str | None = None
    notice_delivery: str = "mail"
    owner_name: str | None = None
    landlord_name: str | None = None
    landlord_address: str | None = None
    third_party_name: str | None = None
    third_party_address: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    cash_only: bool = False
    cycle: str | None = None
    winter_average_override: Decimal | None = None

    @property
    def is_rental(self) -> bool:
        return self.customer_role == "tenant" or bool(self.landlord_name)

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags
