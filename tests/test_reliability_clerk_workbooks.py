"""The two commands that read clerk-edited workbooks (`cash check`, `verify-run`) refuse an
unreadable file with one clear message and exit code 2, never a traceback."""

import pytest
from typer.testing import CliRunner

from utilbill.cli import app
from utilbill.home import init_folder

BAD = {
    "not-a-zip.xlsx": b"account,amount\n1,2\n",
    "empty.xlsx": b"",
    "encrypted.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
    "truncated.xlsx": b"PK\x03\x04" + b"\0" * 100,
}


@pytest.mark.parametrize("command", [["cash", "check"], ["verify-run"]])
@pytest.mark.parametrize("name", sorted(BAD))
def test_unreadable_workbook_is_refused_clearly(tmp_path, command, name):
    u = init_folder(tmp_path / "u")
    f = tmp_path / name
    f.write_bytes(BAD[name])
    r = CliRunner().invoke(app, [*command, str(f), "--home", str(u.root)])
    assert r.exit_code == 2, r.output
    assert name in r.output
    assert "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit)
