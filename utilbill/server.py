"""The Office.js add-in: xlwings Server configured to serve utilbill's functions and tasks.

Why this exists: clerks on Excel for the web, or on PCs where Python cannot be installed,
use the same worksheet functions and ribbon tasks through one server the city hosts.
xlwings Server (the ``xlwings_server`` package) is a FastAPI app configured at import time
by ``XLWINGS_*`` environment variables; it imports a module called ``custom_functions``
and one called ``custom_scripts``. This module

- points those two names at utilbill's code: ``custom_functions`` *is* the ``udfs``
  package (the same module the desktop add-in's ``UDF Modules`` names), and
  ``custom_scripts`` is a module generated from the task catalog (`macros_py.MACROS`):
  one ``@script`` per task, which hands the request's workbook to the task's plain
  ``def task(book: xw.Book)`` function, so no task is written twice;
- points ``XLWINGS_PROJECT_DIR`` at ``addin/server``, whose ``templates/`` and
  ``static/`` override xlwings Server's manifest (a "Utility Billing" ribbon tab, a
  button per task), task pane (a button per task) and ribbon script;
- makes sure xlwings runs in server mode (``XLWINGS_ON_SERVER``), repairing a process
  where xlwings or ``udfs`` were imported before that was set (tests do that).

xlwings Server is licensed under the PolyForm Noncommercial License 1.0.0 (permitted
purposes name government institutions) or a paid licence: the deployer must set
``XLWINGS_LICENSE_KEY`` (``noncommercial`` or a paid key); nothing here sets it for them.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

import macros_py

SERVER_PROJECT_DIR = Path(__file__).resolve().parent.parent / "addin" / "server"
UDF_MODULE = "udfs"
SCRIPTS_MODULE = "utilbill_custom_scripts"

# Defaults for the XLWINGS_* settings of xlwings Server; the environment overrides each.
SERVER_DEFAULTS = {
    "XLWINGS_PROJECT_NAME": "Utility Billing",
    "XLWINGS_FUNCTIONS_NAMESPACE": "UTILBILL",
    "XLWINGS_ENVIRONMENT": "prod",
    "XLWINGS_ENABLE_HOTRELOAD": "false",
    "XLWINGS_ENABLE_EXAMPLES": "false",
    # Our own add-in ids, so that the manifest never collides with another xlwings add-in.
    "XLWINGS_MANIFEST_ID_DEV": "6f0b7d0e-3d5a-4c59-9a61-2b8f4a1c7e01",
    "XLWINGS_MANIFEST_ID_QA": "6f0b7d0e-3d5a-4c59-9a61-2b8f4a1c7e02",
    "XLWINGS_MANIFEST_ID_UAT": "6f0b7d0e-3d5a-4c59-9a61-2b8f4a1c7e03",
    "XLWINGS_MANIFEST_ID_STAGING": "6f0b7d0e-3d5a-4c59-9a61-2b8f4a1c7e04",
    "XLWINGS_MANIFEST_ID_PROD": "6f0b7d0e-3d5a-4c59-9a61-2b8f4a1c7e05",
}


class ServerSetupError(RuntimeError):
    """The server cannot start as configured; the message says what to change."""


def ensure_server_mode() -> None:
    """Put xlwings in server mode in this process, even if it was imported earlier.

    xlwings picks its decorators (``xw.func``...) and engines when it is first imported:
    ``@xw.func`` only records function metadata when ``XLWINGS_ON_SERVER=true`` was set
    by then, and ``xw.Book(json=...)`` needs the licence key by then. A test session, or
    a command that touched xlwings first, may have imported it too early; this repairs
    that: it registers the remote engines, swaps in the server decorators, and re-imports
    ``udfs`` if its functions were decorated by the no-op ones.
    """
    os.environ["XLWINGS_ON_SERVER"] = "true"
    _mark_pyodide_absent()
    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        raise ServerSetupError(
            "xlwings Server needs XLWINGS_LICENSE_KEY: 'noncommercial' under the PolyForm "
            "Noncommercial License 1.0.0 (a government institution is a permitted "
            "purpose), or a paid licence key. See addin/README.md."
        )
    if "xlwings" not in sys.modules:
        return
    import xlwings as xw

    if not xw.__pro__:  # imported before the licence key was set
        from xlwings.main import Engine
        from xlwings.pro import _xlofficejs, _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))
        xw.engines.add(Engine(impl=_xlofficejs.engine))
        xw.__pro__ = True
    if not xw.on_server:  # imported before XLWINGS_ON_SERVER was set
        import xlwings.server as xs

        xw.func, xw.arg, xw.ret, xw.script = xs.func, xs.arg, xs.ret, xs.script
        xw.on_server = True
    global _decorated_udfs
    udfs = sys.modules.get(UDF_MODULE)
    if udfs is not None and udfs is not _decorated_udfs:
        if _has_undecorated_functions(udfs):
            for name in [m for m in sys.modules if m == UDF_MODULE or m.startswith(UDF_MODULE + ".")]:
                del sys.modules[name]
        else:
            _decorated_udfs = udfs  # decorated at its import, so checked once (tests call this per cell)


_decorated_udfs = None


def _mark_pyodide_absent() -> None:
    """Record that Pyodide cannot be imported here, so that trying fails at once.

    xlwings looks for Pyodide's ``JsNull`` (``from pyodide.ffi import JsNull`` in a
    try/except ImportError) for every argument of every worksheet-function call. Outside
    Pyodide that failed import searched every folder of sys.path each time: about 0.3 ms,
    six times a PRORATE call, most of the call's 1.3 ms (bench/, udf_calls). ``None`` in
    ``sys.modules`` is Python's own marker for a module that cannot be imported.
    """
    if sys.platform != "emscripten" and "pyodide" not in sys.modules:
        if importlib.util.find_spec("pyodide") is None:
            sys.modules["pyodide"] = sys.modules["pyodide.ffi"] = None  # both: no import lock taken


def _has_undecorated_functions(udfs) -> bool:
    names = getattr(udfs, "__all__", [])
    return any(
        callable(getattr(udfs, n, None)) and not hasattr(getattr(udfs, n), "__xlfunc__")
        for n in names
        if n.lower() == n and not n.startswith("_") and n != "implemented"
    )


def udf_module():
    """The custom-functions module: the ``udfs`` package, imported in server mode."""
    ensure_server_mode()
    return importlib.import_module(UDF_MODULE)


def _script_for(task: macros_py.Macro):
    import xlwings as xw
    import xlwings.server as xs

    name = task.name

    async def run_task(book) -> None:
        try:
            func = macros_py.resolve(name)
        except macros_py.MacroNotAvailable as exc:
            raise xw.XlwingsError(str(exc)) from exc
        # The task is ordinary blocking code (store, files): keep the event loop free.
        await asyncio.to_thread(func, book)

    run_task.__name__ = run_task.__qualname__ = name
    run_task.__module__ = SCRIPTS_MODULE
    run_task.__doc__ = task.description
    run_task.__annotations__ = {"book": xw.Book, "return": None}
    return xs.script(name=task.label)(run_task)


def scripts_module() -> types.ModuleType:
    """The custom-scripts module: one ``@script`` per catalog task, calling ``macros_py``."""
    ensure_server_mode()
    existing = sys.modules.get(SCRIPTS_MODULE)
    if existing is not None:
        return existing
    module = types.ModuleType(SCRIPTS_MODULE, "Scripts generated from macros_py.MACROS.")
    for task in macros_py.MACROS:
        setattr(module, task.name, _script_for(task))
    sys.modules[SCRIPTS_MODULE] = module
    return module


def ribbon_groups() -> list[tuple[str, list[macros_py.Macro]]]:
    """Catalog tasks by ribbon group, in catalog order (used by the manifest template)."""
    groups = dict.fromkeys([*macros_py.GROUPS, *(m.group for m in macros_py.MACROS)])
    return [(g, [m for m in macros_py.MACROS if m.group == g]) for g in groups]


def create_app():
    """The xlwings Server FastAPI app configured for utilbill.

    xlwings Server reads its settings once, when first imported: set ``XLWINGS_*``
    environment variables (see `SERVER_DEFAULTS` and addin/README.md) before the first
    call; later calls return the same app.
    """
    ensure_server_mode()
    os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_PROJECT_DIR)
    for key, value in SERVER_DEFAULTS.items():
        os.environ.setdefault(key, value)

    functions = udf_module()
    scripts = scripts_module()
    sys.modules["custom_functions"] = functions
    sys.modules["custom_scripts"] = scripts

    from xlwings_server.config import PROJECT_DIR
    from xlwings_server.routers import xlwings as xlwings_router
    from xlwings_server.templates import templates

    if Path(PROJECT_DIR).resolve() != SERVER_PROJECT_DIR:
        raise ServerSetupError(
            f"xlwings Server was already imported for the project {PROJECT_DIR}; "
            "create the utilbill app in a fresh process"
        )
    # The router bound these names at its import; rebind in case it was imported earlier.
    xlwings_router.custom_functions = functions
    xlwings_router.custom_scripts = scripts
    templates.env.globals["utilbill_groups"] = ribbon_groups()
    templates.env.globals["utilbill_task_names"] = [m.name for m in macros_py.MACROS]

    from xlwings_server.main import app

    return app


def asgi_app():
    """What to hand an ASGI server: the app wrapped in CORS and Socket.IO, as xlwings
    Server's own ``main_app``."""
    create_app()
    from xlwings_server.main import main_app

    return main_app


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    ssl_keyfile: str | None = None,
    ssl_certfile: str | None = None,
) -> None:
    """Run the server (``utilbill serve``). Office.js only talks to HTTPS: give a
    certificate here, or run behind a reverse proxy that terminates TLS."""
    import uvicorn

    uvicorn.run(
        asgi_app(),
        host=host,
        port=port,
        ssl_keyfile=ssl_keyfile,
        ssl_certfile=ssl_certfile,
        proxy_headers=True,
    )
