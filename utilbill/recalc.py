"""Recalculate a workbook with a real spreadsheet engine (LibreOffice, headless) and read
back the values its formulas compute.

Why it exists: design.md requires formula workbooks to be recalculated by a real engine
and compared, cent for cent, with the engine's own figures; the pure-Python formula
engines are slow and round some half-cents differently (excel.md). The facts this module
is built on (excel.md): `--convert-to` does not recalculate a file that carries saved
results unless the profile sets OOXMLRecalcMode to "always"; two soffice processes on one
profile fail silently (exit 0, no output), so every call gets its own profile and the
output is checked; LibreOffice's re-saved file rewrites formulas, so it is only read,
in a temporary folder, and never shipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods", "pdf": "pdf"}
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


class RecalcError(RuntimeError):
    """LibreOffice is missing, failed, or produced no output."""


def soffice_path() -> str | None:
    """The LibreOffice executable: $UTILBILL_SOFFICE, else soffice/libreoffice on PATH."""
    for candidate in (os.environ.get("UTILBILL_SOFFICE"), shutil.which("soffice"), shutil.which("libreoffice"),
                      "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def libreoffice_available() -> bool:
    return soffice_path() is not None


def convert(src, fmt: str, outdir, *, timeout: float = 300) -> Path:
    """Open `src` in LibreOffice (recalculating every formula) and save it as `fmt`
    ("xlsx", "xls", "ods", "pdf", or a full filter string) in `outdir`; returns the new file."""
    exe = soffice_path()
    if exe is None:
        raise RecalcError("LibreOffice (soffice) is not installed; run scripts/install-test-tools.sh")
    src, outdir = Path(src).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="utilbill-lo-") as tmp:
        profile = Path(tmp) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        work = Path(tmp) / "in"
        work.mkdir()
        staged = work / ("book" + src.suffix.lower())  # a plain name: no spaces or quotes for soffice
        shutil.copyfile(src, staged)
        filter_ = _FILTERS.get(fmt, fmt)
        ext = filter_.split(":")[0]
        cmd = [exe, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
               f"-env:UserInstallation={profile.as_uri()}", "--convert-to", filter_, "--outdir", str(outdir / ".lo"),
               str(staged)]
        env = dict(os.environ, HOME=tmp)  # LibreOffice also writes under $HOME
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                    start_new_session=True)
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # soffice and the helpers it started
                proc.communicate()
                raise RecalcError(f"LibreOffice took more than {timeout:.0f} s converting {src.name}") from None
            made = outdir / ".lo" / f"book.{ext}"
            if proc.returncode != 0 or not made.exists():
                raise RecalcError(f"LibreOffice did not convert {src.name} (exit {proc.returncode}): "
                                  f"{(out + err).decode(errors='replace').strip()[-800:]}")
            target = outdir / f"{src.stem}.{ext}"
            os.replace(made, target)
            return target
        finally:
            shutil.rmtree(outdir / ".lo", ignore_errors=True)


def recalculate(xlsx_path, *, timeout: float = 300) -> dict[str, list[list]]:
    """Every sheet's computed values, as rows from A1: {sheet name: [[value, ...], ...]}."""
    import openpyxl

    with tempfile.TemporaryDirectory(prefix="utilbill-recalc-") as tmp:
        book = openpyxl.load_workbook(convert(xlsx_path, "xlsx", tmp, timeout=timeout), read_only=True, data_only=True)
        try:
            out = {}
            for ws in book.worksheets:
                ws.reset_dimensions()
                out[ws.title] = [list(row) for row in ws.iter_rows(values_only=True)]
            return out
        finally:
            book.close()


def recalc_values(xlsx_path, cells: list[str], *, timeout: float = 300) -> dict[str, object]:
    """Computed values of cells ("Sheet!B7", "'My sheet'!A1:B3") and workbook-scoped defined
    names, after a recalculation. A single cell gives a value, a range a list of rows. A name
    that is a formula or a constant (not a range) is evaluated through a probe cell added to
    a temporary copy of the workbook."""
    import openpyxl

    src = Path(xlsx_path)
    with tempfile.TemporaryDirectory(prefix="utilbill-recalc-") as tmp:
        original = openpyxl.load_workbook(src)
        targets: dict[str, tuple[str, str]] = {}
        probes: list[str] = []
        for ref in cells:
            if _REF.match(ref):
                targets[ref] = _split_ref(ref)
                continue
            if ref not in original.defined_names:
                raise KeyError(f"{ref!r} is neither a cell reference (Sheet!A1) nor a workbook-scoped defined name")
            text = original.defined_names[ref].attr_text.lstrip("=")
            if _REF.match(text):
                targets[ref] = _split_ref(text)
            else:
                probes.append(ref)
        to_convert = src
        if probes:
            sheet = original.create_sheet("_utilbill_probe")
            for i, name in enumerate(probes, start=1):
                sheet.cell(row=i, column=1).value = f"={name}"
                targets[name] = ("_utilbill_probe", f"A{i}")
            to_convert = Path(tmp) / ("probe" + src.suffix)
            original.save(to_convert)
        book = openpyxl.load_workbook(convert(to_convert, "xlsx", Path(tmp) / "out", timeout=timeout), data_only=True)
        out = {}
        for ref, (sheet_name, address) in targets.items():
            if sheet_name not in book.sheetnames:
                raise KeyError(f"{ref!r}: no sheet {sheet_name!r}; the workbook has {book.sheetnames}")
            got = book[sheet_name][address]
            out[ref] = [[c.value for c in row] for row in got] if isinstance(got, tuple) else got.value
        return out


def _split_ref(ref: str) -> tuple[str, str]:
    m = _REF.match(ref)
    sheet = m[1].replace("''", "'") if m[1] is not None else m[2]
    address = f"{m[3]}{m[4]}" + (f":{m[5]}{m[6]}" if m[5] else "")
    return sheet, address.upper()
