"""The parts of the desktop add-in that the build reads and rewrites: the ribbon (customUI)
XML, the config sheet, and the facts the xlwings template fixes.

Why this exists: the ``.xlam`` is made from xlwings' ribbon template without Excel, so
the build must find its parts through the package's relationships (an add-in re-saved
by Excel is laid out differently), learn what its compiled VBA fixes (`template_facts`:
the config sheet's name, the ribbon callback compiled in), and render the two parts it
replaces: `ribbon_xml` (one button per task of `macros_py.MACROS`) and the config sheet
(`config_rows`, written as inline strings). `read_ribbon_xml` and `read_config_sheet`
read them back as Excel would, for the build's checks and the tests. Writing the zip is
`utilbill.addin_build`'s part.
"""

from __future__ import annotations

import importlib.util
import re
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import macros_py
from utilbill.vba_project import vba_modules

RIBBON_CALLBACK = "UtilbillRibbon.OnButton"
UDF_MODULES = "udfs"
TAB_LABEL = "Utility Billing"

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
