"""Builds the two Excel add-ins on Linux: the desktop ``.xlam`` and the Office.js manifest.

Why this exists: the clerks' ribbon must list every task of the catalog
(`macros_py.MACROS`), and no Excel is at hand where the add-in is built. The desktop add-in
is therefore made from xlwings' ribbon template (``quickstart_addin_ribbon.xlam``, what
``xlwings quickstart NAME --addin --ribbon`` copies) by rewriting parts of its zip:

- ``customUI/customUI.xml``: a "Utility Billing" tab, one button per catalog task, all
  calling one VBA callback (``UtilbillRibbon.OnButton``) that passes the button's tag to
  Python. That callback ships as text (``addin/UtilbillRibbon.bas``) and is imported once
  on Windows, because ``vbaProject.bin`` cannot be authored without Excel. One more
  button, "All Tasks", calls the template's own compiled callback (``RibbonMyAddin.RunMain``,
  which runs ``import <xlam name>; <xlam name>.main()``), so the add-in does something
  useful before that import: ``addin/utilbill_addin.py`` is that module.
- the config sheet: the template's ``_myaddin.conf`` (disabled) becomes ``myaddin.conf``
  (enabled). The name is fixed by the compiled VBA (``PROJECT_NAME = "myaddin"``), which
  `vba_modules` reads to check it, and holds Interpreter_Win, PYTHONPATH, UDF Modules
  and UTILBILL_HOME.

Classic VBA wrappers for the worksheet functions (``udfs``) are generated the way
``xlwings.udfs.import_udfs`` does on Windows, in a subprocess with pywin32 stubbed out.

The module also reads VBA source out of ``vbaProject.bin`` (an OLE compound file whose
module streams are compressed per MS-OVBA), so the build and the tests can verify which
callbacks the template really has.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import macros_py

XLAM_NAME = "utilbill_addin.xlam"  # its stem is the module RunMain imports: utilbill_addin
DISPATCHER_MODULE = Path(XLAM_NAME).stem
RIBBON_BAS = "UtilbillRibbon.bas"
RIBBON_CALLBACK = "UtilbillRibbon.OnButton"
UDF_WRAPPERS_BAS = "udfs_wrappers.bas"
MANIFEST_NAME = "utilbill-manifest.xml"
UDF_MODULES = "udfs"
TAB_LABEL = "Utility Billing"

ADDIN_SRC = Path(__file__).resolve().parent.parent / "addin"

# Where the city's IT installs utilbill on the clerks' PCs (the README explains each row).
DEFAULT_INTERPRETER_WIN = r"C:\utilbill\.venv\Scripts\pythonw.exe"
DEFAULT_PYTHONPATH = r"C:\utilbill"
DEFAULT_UTILBILL_HOME = r"C:\utilbill\utility"

WORKBOOK_PART = "xl/workbook.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
VBA_PART = "xl/vbaProject.bin"


# ----------------------------------------------------------------------------- template


def xlwings_ribbon_template() -> Path:
    """The ribbon add-in template inside the installed xlwings (found without importing it)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("xlwings is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "quickstart_addin_ribbon.xlam"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed xlwings")
    return path


@dataclass(frozen=True)
class TemplateFacts:
    """What the template fixes and the build must match."""

    project_name: str  # PROJECT_NAME constant: the config sheet is "<project_name>.conf"
    conf_sheet: str  # the template's config sheet name as shipped ("_myaddin.conf")
    conf_sheet_part: str  # its part in the zip ("xl/worksheets/sheet1.xml")
    customui_part: str  # the ribbon XML part ("customUI/customUI.xml")
    fallback_callback: str  # onAction of the template's button ("RibbonMyAddin.RunMain")
    modules: dict[str, str]  # VBA module name -> source


_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SHEET_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _rel_targets(z: zipfile.ZipFile, rels_part: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of a .rels part."""
    out = {}
    for rel in ET.fromstring(z.read(rels_part)).iter(f"{_REL_NS}Relationship"):
        target = rel.get("Target")
        part = target.lstrip("/") if target.startswith("/") else f"{base}{target}"
        out[rel.get("Id")] = (rel.get("Type"), part)
    return out


def _package_parts(z: zipfile.ZipFile) -> tuple[str, list[tuple[str, str]]]:
    """(ribbon XML part, [(sheet name, sheet part)]) found through the package's relationships,
    so an add-in re-saved by Excel builds as well as xlwings' template."""
    customui = [p for t, p in _rel_targets(z, "_rels/.rels", "").values() if t.endswith("/ui/extensibility")]
    if len(customui) != 1:
        raise ValueError("the add-in has no ribbon (customUI) part")
    rels = _rel_targets(z, "xl/_rels/workbook.xml.rels", "xl/")
    workbook = ET.fromstring(z.read(WORKBOOK_PART))
    sheets = [(s.get("name"), rels[s.get(_DOC_REL)][1]) for s in workbook.iterfind("m:sheets/m:sheet", _SHEET_NS)]
    return customui[0], sheets


def read_ribbon_xml(xlam) -> str:
    """The ribbon (customUI) XML of an add-in."""
    with zipfile.ZipFile(xlam) as z:
        return z.read(_package_parts(z)[0]).decode("utf-8")


def template_facts(template: Path | None = None) -> TemplateFacts:
    template = Path(template or xlwings_ribbon_template())
    with zipfile.ZipFile(template) as z:
        modules = vba_modules(z.read(VBA_PART))
        customui_part, sheets = _package_parts(z)
        customui = z.read(customui_part).decode("utf-8")
    found = re.search(r'PROJECT_NAME\s+As\s+String\s*=\s*"([^"]+)"', modules.get("xlwings", ""))
    if not found:
        raise ValueError("the template's xlwings VBA module has no PROJECT_NAME constant")
    project = found.group(1)
    conf = [(name, part) for name, part in sheets if name.lstrip("_") == f"{project}.conf"]
    if len(conf) != 1:
        raise ValueError(f"the template has no {project}.conf sheet (sheets: {[n for n, _ in sheets]})")
    # The callback compiled into the template: xlwings' own template has exactly one
    # button; an add-in saved on Windows after the one-time VBA import (used as the
    # template of later builds, so the imported VBA survives) still has RunMain.
    actions = set(re.findall(r'onAction="([^"]+)"', customui)) - {RIBBON_CALLBACK}
    callbacks = [
        f"{module}.{proc}"
        for module, source in modules.items()
        for proc in re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl",
                               source, flags=re.M | re.I)
    ]
    fallback = [a for a in actions if a in callbacks]
    if len(fallback) != 1:
        raise ValueError(f"cannot tell the template's ribbon callback: buttons call {sorted(actions)}, "
                         f"its VBA has {callbacks}")
    return TemplateFacts(project, conf[0][0], conf[0][1], customui_part, fallback[0], modules)


# ----------------------------------------------------------------------------- ribbon XML

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def ribbon_xml(macros=None, fallback_callback: str = "RibbonMyAddin.RunMain") -> str:
    """customUI XML: the Utility Billing tab, one group per catalog group, one button per task."""
    macros = list(macros_py.MACROS if macros is None else macros)
    groups = list(dict.fromkeys([*macros_py.GROUPS, *(m.group for m in macros)]))
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{CUSTOMUI_NS}">',
        "  <ribbon>",
        "    <tabs>",
        f'      <tab id="utilbillTab" label={quoteattr(TAB_LABEL)}>',
    ]
    for group in groups:
        members = [m for m in macros if m.group == group]
        if not members:
            continue
        out.append(f'        <group id="grp{_id(group)}" label={quoteattr(group)}>')
        for m in members:
            out.append(
                f'          <button id="btn_{_id(m.name)}" label={quoteattr(m.label)} size="large"'
                f" imageMso={quoteattr(m.image_mso)} screentip={quoteattr(m.label)}"
                f" supertip={quoteattr(m.description)} tag={quoteattr(m.name)}"
                f' onAction="{RIBBON_CALLBACK}" />'
            )
        out.append("        </group>")
    out += [
        '        <group id="grpMore" label="More">',
        '          <button id="btn_all_tasks" label="All Tasks" size="large" imageMso="MacroPlay"'
        ' screentip="All Tasks"'
        ' supertip="Choose a task from a list. Works before the one-time VBA import;'
        ' on a calculator workbook it runs that workbook&apos;s own task."'
        f" onAction={quoteattr(fallback_callback)} />",
        "        </group>",
        "      </tab>",
        "    </tabs>",
        "  </ribbon>",
        "</customUI>",
    ]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- config sheet


def config_rows(
    interpreter_win: str = DEFAULT_INTERPRETER_WIN,
    pythonpath: str = DEFAULT_PYTHONPATH,
    utilbill_home: str = DEFAULT_UTILBILL_HOME,
) -> list[tuple[str, str | bool]]:
    """The add-in's config sheet, top to bottom (xlwings reads column A down to the first gap)."""
    return [
        ("Interpreter_Win", interpreter_win),
        ("Interpreter_Mac", ""),
        ("PYTHONPATH", pythonpath),
        ("Conda Path", ""),
        ("Conda Env", ""),
        ("UDF Modules", UDF_MODULES),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
        ("UTILBILL_HOME", utilbill_home),
    ]


def _conf_sheet_xml(template_sheet_xml: str, rows) -> str:
    """The config sheet with `rows` in A:B. Text is written as inline strings, so the
    shared-strings part (which an Excel-saved add-in may lack) is left alone."""
    xml_rows = []
    for r, (key, value) in enumerate(rows, start=1):
        cells = [f'<c r="A{r}" t="inlineStr"><is><t>{escape(key)}</t></is></c>']
        if isinstance(value, bool):
            cells.append(f'<c r="B{r}" t="b"><v>{int(value)}</v></c>')
        elif value != "":
            cells.append(f'<c r="B{r}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>')
        xml_rows.append(f'<row r="{r}" spans="1:2">{"".join(cells)}</row>')
    data = "<sheetData>" + "".join(xml_rows) + "</sheetData>"
    sheet, n = re.subn(r"<sheetData\s*/>|<sheetData>.*</sheetData>", lambda _: data, template_sheet_xml, flags=re.S)
    if n != 1:
        raise ValueError("the config sheet has no sheetData")
    return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{len(rows)}" />', sheet)


def read_config_sheet(xlam) -> tuple[str, dict[str, str | bool]]:
    """(sheet name, {key: value}) of the config sheet of an add-in, read as Excel would:
    shared or inline strings, booleans, and column A down to the first empty cell."""
    m = _SHEET_NS["m"]
    with zipfile.ZipFile(xlam) as z:
        _, sheets = _package_parts(z)
        name, part = next((n, p) for n, p in sheets if n.lstrip("_").endswith(".conf"))
        sheet = ET.fromstring(z.read(part))
        strings = []
        if SHARED_STRINGS_PART in z.namelist():
            shared = ET.fromstring(z.read(SHARED_STRINGS_PART))
            strings = ["".join(t.text or "" for t in si.iter(f"{{{m}}}t")) for si in shared]
    grid: dict[str, str | bool] = {}
    for c in sheet.iterfind("m:sheetData/m:row/m:c", _SHEET_NS):
        kind = c.get("t")
        v = c.find("m:v", _SHEET_NS)
        raw = "" if v is None or v.text is None else v.text
        if kind == "inlineStr":
            value: str | bool = "".join(t.text or "" for t in c.iter(f"{{{m}}}t"))
        elif kind == "s":
            value = strings[int(raw)]
        elif kind == "b":
            value = raw == "1"
        else:
            value = raw
        grid[c.get("r")] = value
    values: dict[str, str | bool] = {}
    row = 1
    while grid.get(f"A{row}") not in (None, ""):
        values[str(grid[f"A{row}"])] = grid.get(f"B{row}", "")
        row += 1
    return name, values


# ----------------------------------------------------------------------------- desktop add-in


def build_desktop_addin(
    out_dir,
    *,
    interpreter_win: str = DEFAULT_INTERPRETER_WIN,
    pythonpath: str = DEFAULT_PYTHONPATH,
    utilbill_home: str = DEFAULT_UTILBILL_HOME,
    template: Path | None = None,
) -> Path:
    """Write ``utilbill_addin.xlam`` into `out_dir` (with the dispatcher module and the
    ribbon VBA beside it) and return the ``.xlam`` path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    template = Path(template or xlwings_ribbon_template())
    facts = template_facts(template)
    conf_name = f"{facts.project_name}.conf"  # enabled: no leading underscore

    with zipfile.ZipFile(template) as src:
        parts = {info.filename: (info, src.read(info.filename)) for info in src.infolist()}
    workbook = parts[WORKBOOK_PART][1].decode("utf-8")
    workbook = workbook.replace(f'name="{facts.conf_sheet}"', f'name="{conf_name}"')
    sheet = _conf_sheet_xml(
        parts[facts.conf_sheet_part][1].decode("utf-8"),
        config_rows(interpreter_win, pythonpath, utilbill_home),
    )
    replaced = {
        facts.customui_part: ribbon_xml(fallback_callback=facts.fallback_callback),
        WORKBOOK_PART: workbook,
        facts.conf_sheet_part: sheet,
    }
    xlam = out_dir / XLAM_NAME
    tmp = xlam.with_suffix(".xlam.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, (info, data) in parts.items():
            if name in replaced:
                data = replaced[name].encode("utf-8")
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    os.replace(tmp, xlam)

    shutil.copyfile(_addin_source(f"{DISPATCHER_MODULE}.py"), out_dir / f"{DISPATCHER_MODULE}.py")
    _write_crlf(out_dir / RIBBON_BAS, _addin_source(RIBBON_BAS).read_text(encoding="utf-8"))
    return xlam


def _addin_source(name: str) -> Path:
    path = ADDIN_SRC / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build the add-in from a utilbill checkout")
    return path


def _write_crlf(path: Path, text: str) -> None:
    """VBA's Import File wants Windows line ends."""
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    path.write_bytes(text.encode("cp1252", errors="replace"))


# ----------------------------------------------------------------------------- VBA UDF wrappers


def udf_wrappers_vba(module: str = UDF_MODULES, workbook_name: str = XLAM_NAME) -> str:
    """The VBA module xlwings' "Import Functions" would write for `module`, made on Linux.

    Runs in a fresh interpreter: pywin32 is stubbed out, xlwings' classic decorators are
    put in place before `module` is imported (elsewhere on Linux ``@xw.func`` is a no-op),
    and ``xlwings.udfs.generate_vba_wrapper`` writes the wrappers. For an ``.xlam`` the
    wrappers call back with ``ActiveWorkbook``, as xlwings does for add-ins.
    """
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "utilbill.addin_build", "--vba-wrappers", module, workbook_name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"generating VBA wrappers for {module} failed:\n{proc.stderr}")
    return proc.stdout


def write_udf_wrappers(path, module: str = UDF_MODULES, workbook_name: str = XLAM_NAME) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_crlf(path, udf_wrappers_vba(module, workbook_name))
    return path


def _generate_wrappers_here(module_name: str, workbook_name: str) -> str:
    """Body of the subprocess (see `udf_wrappers_vba`). Never call it in a process that
    has imported xlwings for real work: it patches xlwings' decorators."""
    import importlib
    import io
    import types

    for name, attrs in {
        "pythoncom": {"CoInitialize": lambda: None, "IID_IDispatch": None},
        "pywintypes": {"com_error": type("com_error", (Exception,), {})},
        "win32com": {},
        "win32com.client": {"Dispatch": lambda *a, **k: None},
    }.items():
        stub = types.ModuleType(name)
        stub.__dict__.update(attrs)
        sys.modules.setdefault(name, stub)
    sys.modules["win32com"].client = sys.modules["win32com.client"]

    import xlwings
    import xlwings.udfs as classic

    xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret
    xlwings.script = xlwings.sub = classic.xlsub
    module = importlib.import_module(module_name)

    buf = io.StringIO()
    vba = xlwings.utils.VBAWriter(buf)
    vba.writeln('Attribute VB_Name = "xlwings_udfs"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("'(generated on Linux by utilbill.addin_build with pywin32 stubbed out)")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    workbook = types.SimpleNamespace(Name=workbook_name)
    classic.generate_vba_wrapper(module_name, module, buf, workbook)
    return buf.getvalue()


def vba_function_names(vba: str) -> list[str]:
    """Names of the Functions and Subs a VBA source declares."""
    return re.findall(
        r"^\s*(?:Public\s+|Private\s+)?(?:Function|Sub)\s+(\w+)", vba, flags=re.M | re.I
    )


# ----------------------------------------------------------------------------- Office.js


def build_office_manifest(out_dir, base_url: str = "https://localhost:8000") -> Path:
    """Render the Office.js manifest for a server reachable at `base_url` and write it."""
    from fastapi.testclient import TestClient

    from utilbill import server

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    app = server.create_app()
    with TestClient(app, base_url=base_url.rstrip("/")) as client:
        proto = "https" if base_url.startswith("https") else "http"
        response = client.get("/manifest.xml", headers={"X-Forwarded-Proto": proto})
        response.raise_for_status()
    path = out_dir / MANIFEST_NAME
    path.write_text(response.text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- everything


@dataclass(frozen=True)
class BuiltAddins:
    xlam: Path  # the desktop add-in
    dispatcher: Path  # utilbill_addin.py, next to the .xlam (the "All Tasks" button)
    ribbon_vba: Path  # UtilbillRibbon.bas, imported once on Windows
    udf_wrappers: Path  # udfs_wrappers.bas, imported once on Windows
    readme: Path
    manifest: Path | None  # Office.js manifest for xlwings Server (None: desktop only)

    def paths(self) -> dict[str, Path]:
        return {k: v for k, v in vars(self).items() if v is not None}


def build_all(
    out_dir,
    *,
    base_url: str = "https://localhost:8000",
    template: Path | None = None,
    interpreter_win: str = DEFAULT_INTERPRETER_WIN,
    pythonpath: str = DEFAULT_PYTHONPATH,
    utilbill_home: str = DEFAULT_UTILBILL_HOME,
    office: bool = True,
) -> BuiltAddins:
    """Build both add-ins into `out_dir` (what ``utilbill addin build`` runs).

    `template` defaults to xlwings' ribbon template; give the ``utilbill_addin.xlam``
    that was saved on Windows after the one-time VBA import to keep that VBA (the ribbon
    and config sheet are rewritten, the VBA project is kept byte for byte).

    The Office.js manifest is rendered by xlwings Server, which needs
    ``XLWINGS_LICENSE_KEY`` (addin/README.md, Licences); ``office=False`` builds the
    desktop add-in only."""
    out_dir = Path(out_dir)
    if office and not os.environ.get("XLWINGS_LICENSE_KEY"):
        from utilbill.server import ServerSetupError

        raise ServerSetupError(
            "the Office.js manifest is rendered by xlwings Server: set XLWINGS_LICENSE_KEY "
            "('noncommercial' or a paid key, see addin/README.md), or build the desktop add-in only"
        )
    xlam = build_desktop_addin(
        out_dir,
        interpreter_win=interpreter_win,
        pythonpath=pythonpath,
        utilbill_home=utilbill_home,
        template=template,
    )
    wrappers = write_udf_wrappers(out_dir / UDF_WRAPPERS_BAS)
    manifest = build_office_manifest(out_dir, base_url=base_url) if office else None
    readme = out_dir / "README.md"
    shutil.copyfile(_addin_source("README.md"), readme)
    return BuiltAddins(
        xlam=xlam,
        dispatcher=out_dir / f"{DISPATCHER_MODULE}.py",
        ribbon_vba=out_dir / RIBBON_BAS,
        udf_wrappers=wrappers,
        manifest=manifest,
        readme=readme,
    )


# ----------------------------------------------------------------------------- VBA reading


def vba_modules(vba_project: bytes) -> dict[str, str]:
    """VBA module name -> source text, read from a ``vbaProject.bin``."""
    streams = _cfb_streams(vba_project)
    dir_stream = _ovba_decompress(streams["VBA/dir"])
    codepage, modules = _parse_dir(dir_stream)
    out = {}
    for name, stream_name, offset in modules:
        data = streams[f"VBA/{stream_name}"]
        text = _ovba_decompress(data[offset:]).decode(f"cp{codepage}", errors="replace")
        out[name] = text.replace("\r\n", "\n")
    return out


def _cfb_streams(data: bytes) -> dict[str, bytes]:
    """Every stream of an OLE compound file, by path ("VBA/dir")."""
    if data[:8] != bytes.fromhex("D0CF11E0A1B11AE1"):
        raise ValueError("not an OLE compound file")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    (n_fat, first_dir, _, cutoff, first_minifat, n_minifat, first_difat, n_difat) = struct.unpack_from(
        "<IIIIIIII", data, 0x2C
    )

    def sector(n: int) -> bytes:
        return data[(n + 1) * sector_size : (n + 2) * sector_size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    nxt = first_difat
    for _ in range(n_difat):
        entries = struct.unpack(f"<{sector_size // 4}I", sector(nxt))
        difat += entries[:-1]
        nxt = entries[-1]
    fat: list[int] = []
    for s in difat[:n_fat]:
        fat += struct.unpack(f"<{sector_size // 4}I", sector(s))

    def chain(start: int) -> bytes:
        out, s, seen = bytearray(), start, set()
        while s < 0xFFFFFFFA and s not in seen:
            seen.add(s)
            out += sector(s)
            s = fat[s]
        return bytes(out)

    directory = chain(first_dir)
    entries = []
    for i in range(len(directory) // 128):
        e = directory[i * 128 : (i + 1) * 128]
        name_len = struct.unpack_from("<H", e, 0x40)[0]
        name = e[: max(name_len - 2, 0)].decode("utf-16-le")
        kind = e[0x42]
        left, right, child = struct.unpack_from("<III", e, 0x44)
        start, size = struct.unpack_from("<IQ", e, 0x74)
        entries.append((name, kind, left, right, child, start, size & 0xFFFFFFFF))
    minifat: list[int] = []
    if n_minifat:
        raw = chain(first_minifat)
        minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw))
    ministream = chain(entries[0][5]) if entries else b""

    def read(start: int, size: int) -> bytes:
        if size < cutoff:
            out, s = bytearray(), start
            while s < 0xFFFFFFFA and len(out) < size:
                out += ministream[s * mini_size : (s + 1) * mini_size]
                s = minifat[s]
            return bytes(out[:size])
        return chain(start)[:size]

    streams: dict[str, bytes] = {}

    def walk(index: int, prefix: str) -> None:
        if index >= len(entries) or index == 0xFFFFFFFF:
            return
        name, kind, left, right, child, start, size = entries[index]
        walk(left, prefix)
        walk(right, prefix)
        path = f"{prefix}{name}"
        if kind == 2:
            streams[path] = read(start, size)
        elif kind == 1:
            walk(child, path + "/")

    walk(entries[0][4], "")
    return streams


def _ovba_decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression of a CompressedContainer."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data) - 1:
        header = struct.unpack_from("<H", data, pos)[0]
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        if not header & 0x8000:  # stored raw
            out += data[pos : pos + 4096]
            pos += 4096
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _parse_dir(dir_stream: bytes) -> tuple[int, list[tuple[str, str, int]]]:
    """(code page, [(module name, stream name, source offset)]) from the VBA dir stream."""
    pos, codepage, modules = 0, 1252, []
    name = stream = None
    offset = 0
    while pos + 6 <= len(dir_stream):
        rec_id, size = struct.unpack_from("<HI", dir_stream, pos)
        pos += 6
        if rec_id == 0x0009:  # PROJECTVERSION: its size field lies (4, but 6 bytes follow)
            size = 6
        body = dir_stream[pos : pos + size]
        pos += size
        if rec_id == 0x0003:
            codepage = struct.unpack_from("<H", body)[0]
        elif rec_id == 0x0019:
            name = body.decode("latin-1")
        elif rec_id == 0x001A:
            stream = body.decode("latin-1")
        elif rec_id == 0x0031:
            offset = struct.unpack_from("<I", body)[0]
        elif rec_id == 0x002B and name is not None:
            modules.append((name, stream or name, offset))
            name = stream = None
            offset = 0
    return codepage, modules


# ----------------------------------------------------------------------------- command line


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utilbill.addin_build", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", help="build both add-ins into this folder")
    parser.add_argument("--base-url", default="https://localhost:8000",
                        help="where xlwings Server is reached, for the Office.js manifest")
    parser.add_argument("--template", type=Path, default=None,
                        help="an add-in saved on Windows after the one-time VBA import")
    parser.add_argument("--interpreter-win", default=DEFAULT_INTERPRETER_WIN)
    parser.add_argument("--pythonpath", default=DEFAULT_PYTHONPATH)
    parser.add_argument("--utilbill-home", default=DEFAULT_UTILBILL_HOME)
    parser.add_argument("--desktop-only", action="store_true",
                        help="skip the Office.js manifest (needs no xlwings Server licence key)")
    parser.add_argument("--vba-wrappers", nargs=2, metavar=("MODULE", "WORKBOOK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.vba_wrappers:
        sys.stdout.write(_generate_wrappers_here(*args.vba_wrappers))
        return 0
    if not args.out_dir:
        parser.error("give the output folder")
    built = build_all(
        args.out_dir,
        base_url=args.base_url,
        template=args.template,
        interpreter_win=args.interpreter_win,
        pythonpath=args.pythonpath,
        utilbill_home=args.utilbill_home,
        office=not args.desktop_only,
    )
    print(json.dumps({k: str(v) for k, v in built.paths().items()}, indent=2))
    missing = [m.name for m in macros_py.MACROS if not macros_py.is_implemented(m.name)]
    if missing:  # their buttons exist and say "not installed yet" when pressed
        print(f"tasks without a macro yet: {', '.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
