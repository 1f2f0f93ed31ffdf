"""A bad configuration or rate file fails at load with the file, the key and the reason."""

from pathlib import Path

import pytest
import yaml

from utilbill.config import EXAMPLE_DIR, ConfigError, load_policy
from utilbill.home import init_folder, open_utility
from utilbill.rates import RateFileError, load_rates


def _write(tmp_path, mutate, name="utility.yaml", example="utility.yaml"):
    raw = yaml.safe_load((EXAMPLE_DIR / example).read_text())
    mutate(raw)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw))
    return p


def test_example_configuration_carries_the_domain_defaults():
    from decimal import Decimal as D

    p = load_policy(EXAMPLE_DIR / "utility.yaml")
    assert p.billing.months_per_bill("residential") == 2 and p.billing.months_per_bill("commercial") == 1
    assert p.billing.due_days == 21 and p.billing.late_charge_rate == D("0.015")
    assert p.collections.notice_min_past_due == D("50.00") and p.collections.turnoff_business_days == 7
    assert p.arrangements.min_down_percent == D("20") and p.arrangements.max_installments == 6
    assert p.returned_payments.fee == D("30.00") and p.cash.opening_fund == D("150.00")
    assert p.cash.petty_cash_fund == D("100.00")


@pytest.mark.parametrize("mutate, key, reason", [
    (lambda r: r["billing"].update(due_dayz=21), "billing.due_dayz", "unknown key"),
    (lambda r: r["billing"].update(due_days="soon"), "billing.due_days", "whole number"),
    (lambda r: r["billing"].update(late_charge_rate="1.5%"), "billing.late_charge_rate", "not a number"),
    (lambda r: r["calendar"].update(closure_rules=["black_friday"]), "calendar.closure_rules", "unknown closure rule"),
    (lambda r: r["calendar"].update(closures=["2026-13-01"]), "calendar.closures[0]", "not a date"),
    (lambda r: r["billing"]["classes"].update(industrial={"months_per_bill": 3}),
     "billing.classes.industrial.months_per_bill", "no regular_window_days"),
    (lambda r: r.pop("billing"), "billing", "missing"),
    (lambda r: r.update(billling={}), "billling", "unknown section"),
])
def test_bad_configuration_names_file_key_and_reason(tmp_path, mutate, key, reason):
    path = _write(tmp_path, mutate)
    with pytest.raises(ConfigError) as e:
        load_policy(path)
    assert e.value.key == key and reason in e.value.reason and e.value.file == str(path)


@pytest.mark.parametrize("mutate, key, reason", [
    (lambda r: r["schedules"][0]["classes"]["residential"]["water_blocks"][1].update(up_to=5),
     "schedules[0].classes.residential.water_blocks[1].up_to", "bounds must increase"),
    (lambda r: r["schedules"][0]["classes"]["residential"]["water_service_charge"].update({"7/8": "9.00"}),
     "schedules[0].classes.residential.water_service_charge.7/8", "unknown meter size"),
    (lambda r: r["schedules"][0].update(effective="first of May"), "schedules[0].effective", "not a date"),
    (lambda r: r["schedules"][0]["classes"]["commercial"].update(wastewater_volume_price="-1"),
     "schedules[0].classes.commercial.wastewater_volume_price", "must not be negative"),
])
def test_bad_rate_file_names_file_key_and_reason(tmp_path, mutate, key, reason):
    path = _write(tmp_path, mutate, name="rates.yaml", example="rates.yaml")
    with pytest.raises(RateFileError) as e:
        load_rates(path)
    assert e.value.key == key and reason in e.value.reason


def test_commands_find_the_folder_like_git(tmp_path, monkeypatch):
    root = init_folder(tmp_path / "city").root
    deep = root / "input" / "today"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("UTILBILL_HOME", raising=False)
    assert open_utility().root.resolve() == root.resolve()
    monkeypatch.setenv("UTILBILL_HOME", str(root))
    monkeypatch.chdir(tmp_path)
    assert open_utility().root == Path(str(root))
