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

The parts of the zip are rendered in `utilbill.xlam_parts` (template facts, ribbon XML,
config sheet), and VBA source is read out of ``vbaProject.bin`` (an OLE compound file
whose module streams are compressed per MS-OVBA) by `utilbill.vba_project`, so the build
and the tests can verify which callbacks the template really has. This module writes the
add-ins and is the command line; every name of those modules stays importable from here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import macros_py
from utilbill.vba_project import (  # noqa: F401
    _cfb_streams, _ovba_decompress, _parse_dir, vba_function_names, vba_modules,
)
from utilbill.xlam_parts import (  # noqa: F401
    _DOC_REL, _REL_NS, _SHEET_NS, CUSTOMUI_NS, DEFAULT_INTERPRETER_WIN, DEFAULT_PYTHONPATH,
    DEFAULT_UTILBILL_HOME, RIBBON_CALLBACK, SHARED_STRINGS_PART, TAB_LABEL, UDF_MODULES, VBA_PART,
    WORKBOOK_PART, TemplateFacts, _conf_sheet_xml, _id, _package_parts, _rel_targets, config_rows,
    read_config_sheet, read_ribbon_xml, ribbon_xml, template_facts, xlwings_ribbon_template,
)

XLAM_NAME = "utilbill_addin.xlam"  # its stem is the module RunMain imports: utilbill_addin
DISPATCHER_MODULE = Path(XLAM_NAME).stem
RIBBON_BAS = "UtilbillRibbon.bas"
UDF_WRAPPERS_BAS = "udfs_wrappers.bas"
MANIFEST_NAME = "utilbill-manifest.xml"

ADDIN_SRC = Path(__file__).resolve().parent.parent / "addin"


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
