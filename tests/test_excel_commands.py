"""The Excel-side commands through typer's CliRunner (addin build, serve, workbooks build) and
the demo day's Excel step on a small utility."""

from __future__ import annotations

from datetime import date

import openpyxl
from typer.testing import CliRunner

from excel_fixtures import LATE, sample_utility
from utilbill.cli import app
from utilbill.demo_steps import DemoReport
from utilbill.templates import FILES

runner = CliRunner()


def test_workbooks_build_with_the_example_or_the_utilitys_configuration(tmp_path):
    result = runner.invoke(app, ["workbooks", "build", str(tmp_path / "wb"), "--example"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "wb").iterdir()) == sorted(FILES.values())
    u = sample_utility(tmp_path)
    cfg = u.root / "utility.yaml"
    cfg.write_text(cfg.read_text().replace("min_down_percent: \"20\"", "min_down_percent: \"25\""))
    result = runner.invoke(app, ["workbooks", "build", "--home", str(u.root)])
    assert result.exit_code == 0, result.output
    built = u.root / "output" / "workbooks" / FILES["arrangement"]
    assert openpyxl.load_workbook(built)["Arrangement"]["B13"].value == 25  # the utility's own policy


def test_addin_build(tmp_path, monkeypatch):
    monkeypatch.delenv("XLWINGS_LICENSE_KEY", raising=False)
    refused = runner.invoke(app, ["addin", "build", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "XLWINGS_LICENSE_KEY" in refused.output
    result = runner.invoke(app, ["addin", "build", str(tmp_path / "b"), "--desktop-only",
                                 "--utilbill-home", r"\\cityhall\water"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "b").iterdir()}
    assert {"utilbill_addin.xlam", "UtilbillRibbon.bas", "udfs_wrappers.bas", "README.md"} <= names
    from utilbill.addin_build import read_config_sheet

    assert read_config_sheet(tmp_path / "b" / "utilbill_addin.xlam")[1]["UTILBILL_HOME"] == r"\\cityhall\water"
    wrappers = (tmp_path / "b" / "udfs_wrappers.bas").read_text(encoding="cp1252")
    assert 'XLPy.CallUDF("udfs", "bill_lines"' in wrappers


def test_serve_hands_its_options_to_the_server(tmp_path, monkeypatch):
    import utilbill.server as server

    seen = {}
    monkeypatch.setattr(server, "serve", lambda host, port, **kw: seen.update(host=host, port=port, **kw))
    monkeypatch.delenv("UTILBILL_HOME", raising=False)
    u = sample_utility(tmp_path)
    result = runner.invoke(app, ["serve", "--port", "8443", "--ssl-certfile", "c.pem", "--ssl-keyfile", "k.pem",
                                 "--home", str(u.root)])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1", "port": 8443, "ssl_keyfile": "k.pem", "ssl_certfile": "c.pem"}
    import os

    assert os.environ["UTILBILL_HOME"] == str(u.root.resolve())  # the server's functions find the folder


def test_demo_step_writes_templates_and_filled_examples(tmp_path):
    from utilbill.demo_steps import excel

    u = sample_utility(tmp_path)
    report = DemoReport(area="excel")
    excel.run(u, date(2026, 1, 20), report)
    outputs = {p.name: p for _, p, _ in report.outputs}
    assert set(FILES.values()) <= set(outputs)
    assert "Daily Cash - 2026-01-20.xlsx" in outputs
    payoff = openpyxl.load_workbook(outputs["Payoff Calculator - example.xlsx"])["Payoff"]
    assert payoff["B4"].value == LATE and payoff["B5"].value.date() == date(2026, 1, 20)
    readings = openpyxl.load_workbook(outputs["Readings Entry - example.xlsx"])["Readings"]
    assert readings["A4"].value and isinstance(readings["C4"].value, int)
    arrangement = openpyxl.load_workbook(outputs["Arrangement Calculator - example.xlsx"])["Arrangement"]
    assert arrangement["B5"].value > 0 and arrangement["B7"].value == 4
