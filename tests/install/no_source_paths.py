#!/usr/bin/env python3
"""No path of the source tree is compiled into an installed binary (issue 18 item 6).

Reads each ELF file's sections and fails when the bytes a process loads (sections with
SHF_ALLOC: code, .rodata, .data, .dynstr with the RUNPATH, ...) contain --source-dir.
Debug sections (not loaded) name the source files by design and are not read, nor is
.nv_fatbin: the CUDA device code's line table (nvcc -lineinfo), the GPU twin of
.debug_line. Usage: no_source_paths.py --source-dir DIR FILE...
"""
import argparse
import struct
import sys

SHF_ALLOC = 0x2
SHT_NOBITS = 8
NOT_LOADED_DATA = {".nv_fatbin"}


def loaded_sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"{path}: not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    for name_off, kind, flags, _addr, offset, size, *_ in headers:
        name = data[names_at + name_off:data.index(b"\0", names_at + name_off)].decode()
        if flags & SHF_ALLOC and kind != SHT_NOBITS and name not in NOT_LOADED_DATA:
            yield name, data[offset:offset + size]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    needle = args.source_dir.rstrip("/").encode() + b"/"
    found = []
    for path in args.files:
        for name, body in loaded_sections(path):
            at = body.find(needle)
            if at >= 0:
                end = body.find(b"\0", at)
                found.append(f"{path} [{name}]: {body[at:end if end > at else at + 120].decode(errors='replace')}")
    if found:
        print("source-tree paths compiled into binaries:\n  " + "\n  ".join(found))
        return 1
    print(f"no '{needle.decode()}' in the loaded sections of {len(args.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
