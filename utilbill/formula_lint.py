"""Find formulas that Excel and LibreOffice would show as #NAME? because a function newer
than Excel 2007 is stored without its prefix.

Why it exists: in the file format, functions added after Excel 2007 are stored with a
prefix: `_xlfn.XLOOKUP`, `_xlfn.IFS`, `_xlfn._xlws.FILTER`, `_xlfn.LET(_xlpm.x, ...)`.
Excel adds it when a person types the formula; openpyxl writes exactly what it is given,
so a template built by code with a bare `XLOOKUP(` opens as #NAME? (excel.md), while the
pure-Python formula engines accept it and hide the bug. `lint_workbook` checks every
formula cell, defined name, conditional format and data validation; `lint_formula` checks
one formula, for code that builds templates.

The list is xlsxwriter's "future functions" list (from Microsoft's MS-XLSX documentation),
plus the functions Excel added since (GROUPBY, PIVOTBY, PERCENTOF, REGEX*, TRIMRANGE).
"""

from __future__ import annotations

import re
from pathlib import Path

from utilbill.findings import Finding

FUTURE_FUNCTIONS = frozenset("""
ACOT ACOTH AGGREGATE ANCHORARRAY ARABIC ARRAYTOTEXT BASE BETA.DIST BETA.INV BINOM.DIST BINOM.DIST.RANGE
BINOM.INV BITAND BITLSHIFT BITOR BITRSHIFT BITXOR BYCOL BYROW CEILING.MATH CEILING.PRECISE CHISQ.DIST
CHISQ.DIST.RT CHISQ.INV CHISQ.INV.RT CHISQ.TEST CHOOSECOLS CHOOSEROWS COMBINA CONCAT CONFIDENCE.NORM
CONFIDENCE.T COT COTH COVARIANCE.P COVARIANCE.S CSC CSCH DAYS DECIMAL DROP ERF.PRECISE ERFC.PRECISE EXPAND
EXPON.DIST F.DIST F.DIST.RT F.INV F.INV.RT F.TEST FILTERXML FLOOR.MATH FLOOR.PRECISE FORECAST.ETS
FORECAST.ETS.CONFINT FORECAST.ETS.SEASONALITY FORECAST.ETS.STAT FORECAST.LINEAR FORMULATEXT GAMMA GAMMA.DIST
GAMMA.INV GAMMALN.PRECISE GAUSS GROUPBY HSTACK HYPGEOM.DIST IFNA IFS IMAGE IMCOSH IMCOT IMCSC IMCSCH IMSEC
IMSECH IMSINH IMTAN ISFORMULA ISOMITTED ISOWEEKNUM LAMBDA LET LOGNORM.DIST LOGNORM.INV MAKEARRAY MAP MAXIFS
MINIFS MODE.MULT MODE.SNGL MUNIT NEGBINOM.DIST NORM.DIST NORM.INV NORM.S.DIST NORM.S.INV NUMBERVALUE PDURATION
PERCENTILE.EXC PERCENTILE.INC PERCENTOF PERCENTRANK.EXC PERCENTRANK.INC PERMUTATIONA PHI PIVOTBY POISSON.DIST
QUARTILE.EXC QUARTILE.INC QUERYSTRING RANDARRAY RANK.AVG RANK.EQ REDUCE REGEXEXTRACT REGEXREPLACE REGEXTEST RRI
SCAN SEC SECH SEQUENCE SHEET SHEETS SINGLE SKEW.P SORTBY STDEV.P STDEV.S SWITCH T.DIST T.DIST.2T T.DIST.RT
T.INV T.INV.2T T.TEST TAKE TEXTAFTER TEXTBEFORE TEXTJOIN TEXTSPLIT TOCOL TOROW TRIMRANGE UNICHAR UNICODE
UNIQUE VALUETOTEXT VAR.P VAR.S VSTACK WEBSERVICE WEIBULL.DIST WRAPCOLS WRAPROWS XLOOKUP XMATCH XOR Z.TEST
""".split())
WORKSHEET_FUNCTIONS = frozenset({"FILTER", "SORT"})  # stored as _xlfn._xlws.NAME
PARAMETER_FUNCTIONS = frozenset({"LET", "LAMBDA"})  # their names are stored as _xlpm.name

_TOKEN = re.compile(r"""
    (?P<str>"(?:[^"]|"")*"?)
  | (?P<quoted>'(?:[^']|'')*'?)
  | (?P<bracket>\[)
  | (?P<name>[A-Za-z_\\][A-Za-z0-9_.\\$]*)
  | (?P<open>[({])
  | (?P<close>[)}])
  | (?P<comma>,)
  | (?P<other>\s+|[^"'\[A-Za-z_\\(){},]+)
""", re.X)


def _tokens(formula: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; strings, quoted sheet names and [structured refs] are opaque."""
    out, i = [], 0
    while i < len(formula):
        m = _TOKEN.match(formula, i)
        kind, text = m.lastgroup, m.group()
        if kind == "bracket":
            depth, j = 0, i
            while j < len(formula):
                depth += {"[": 1, "]": -1}.get(formula[j], 0)
                j += 1
                if depth == 0:
                    break
            text, kind = formula[i:j], "other"
        if kind == "name" and formula[i + len(text): i + len(text) + 1] == "(":
            kind = "func"
        if kind != "other" or not text.isspace():
            out.append((kind, text))
        i += len(text)
    return out


def lint_formula(formula: str) -> list[str]:
    """What is wrong with one formula's stored form (an empty list when nothing is)."""
    problems: list[str] = []
    tokens = _tokens(formula)
    for k, (kind, text) in enumerate(tokens):
        if kind != "func":
            continue
        upper = text.upper()
        if upper.startswith("_XLFN._XLWS."):
            base = upper[len("_XLFN._XLWS."):]
        elif upper.startswith("_XLFN."):
            base = upper[len("_XLFN."):]
            if base in WORKSHEET_FUNCTIONS:
                problems.append(f"{base} must be stored as _xlfn._xlws.{base}, not {text}")
        elif upper.startswith("_XLWS."):
            base = upper[len("_XLWS."):]
            problems.append(f"{base} must be stored as _xlfn._xlws.{base}, not {text}")
        else:
            base = upper
            if base in WORKSHEET_FUNCTIONS:
                problems.append(f"{base} is newer than Excel 2007 and must be stored as _xlfn._xlws.{base} "
                                "(without it Excel and LibreOffice show #NAME?)")
            elif base in FUTURE_FUNCTIONS:
                problems.append(f"{base} is newer than Excel 2007 and must be stored as _xlfn.{base} "
                                "(without it Excel and LibreOffice show #NAME?)")
        if base in PARAMETER_FUNCTIONS:
            problems += _parameter_problems(base, tokens, k)
    return problems


def _parameter_problems(func: str, tokens: list[tuple[str, str]], at: int) -> list[str]:
    """LET(name, value, ..., result) and LAMBDA(name, ..., body): every name is _xlpm.name,
    and so is every use of it inside the call."""
    args: list[list[int]] = [[]]  # token positions of each argument
    depth, end = 0, len(tokens)
    for j in range(at + 1, len(tokens)):
        kind = tokens[j][0]
        if kind == "open":
            depth += 1
            if depth == 1:
                continue
        elif kind == "close":
            depth -= 1
            if depth == 0:
                end = j
                break
        elif kind == "comma" and depth == 1:
            args.append([])
            continue
        args[-1].append(j)
    declared = args[:-1] if func == "LAMBDA" else args[:-1:2]
    problems, bare, positions = [], set(), set()
    for arg in declared:
        if len(arg) != 1 or tokens[arg[0]][0] != "name":
            continue
        positions.add(arg[0])
        name = tokens[arg[0]][1]
        if not name.lower().startswith("_xlpm."):
            bare.add(name.upper())
            problems.append(f"{func} parameter {name!r} must be stored as _xlpm.{name}")
        else:
            bare.add(name[len("_xlpm."):].upper())
    for j in range(at + 1, end):
        kind, text = tokens[j]
        if kind == "name" and j not in positions and text.upper() in bare:
            problems.append(f"{func} parameter {text!r} must be used as _xlpm.{text}")
    return list(dict.fromkeys(problems))


def lint_workbook(path) -> list[Finding]:
    """Every stored formula in the workbook whose functions would show #NAME?."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    path = Path(path)
    book = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    findings: list[Finding] = []

    def check(formula: str, **where) -> None:
        for problem in lint_formula(formula):
            findings.append(Finding(problem, file=path.name, value=formula, **where))

    for name, defined in book.defined_names.items():
        for problem in lint_formula(defined.attr_text or ""):
            findings.append(Finding(f"defined name {name}: {problem}", file=path.name, value=defined.attr_text))
    for ws in book.worksheets:
        for name, defined in ws.defined_names.items():
            for problem in lint_formula(defined.attr_text or ""):
                findings.append(Finding(f"defined name {name}: {problem}", file=path.name, sheet=ws.title,
                                        value=defined.attr_text))
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value = value.text
                if cell.data_type == "f" and isinstance(value, str):
                    check(value, sheet=ws.title, row=cell.row, column=cell.column_letter)
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                for formula in rule.formula or ():
                    check(formula, sheet=ws.title, column=f"conditional format {rng.sqref}")
        for dv in ws.data_validations.dataValidation:
            for formula in (dv.formula1, dv.formula2):
                if formula:
                    check(formula, sheet=ws.title, column=f"data validation {dv.sqref}")
    return findings
