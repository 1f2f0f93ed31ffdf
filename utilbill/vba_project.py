"""VBA source read out of an add-in's ``vbaProject.bin``, and the procedures it declares.

Why this exists: the add-in's VBA cannot be compiled on Linux, so the build keeps the
template's ``vbaProject.bin`` byte for byte and must know what is inside it: the
``PROJECT_NAME`` constant that names the config sheet, and the ribbon callbacks the
template's buttons may call (`utilbill.xlam_parts.template_facts`). The tests read the
built add-in the same way. ``vbaProject.bin`` is an OLE compound file (MS-CFB) whose
module streams are compressed per MS-OVBA; `vba_modules` undoes both, with the standard
library only. `vba_function_names` lists what a VBA source (read here, or generated as
the UDF wrappers) declares.
"""

from __future__ import annotations

import re
import struct

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


def vba_function_names(vba: str) -> list[str]:
    """Names of the Functions and Subs a VBA source declares."""
    return re.findall(
        r"^\s*(?:Public\s+|Private\s+)?(?:Function|Sub)\s+(\w+)", vba, flags=re.M | re.I
    )
