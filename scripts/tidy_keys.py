#!/usr/bin/env python3
"""Content keys for clang-tidy results: scripts/tidy_keys.py DB ROOT UNITS_FILE

For each line `db|bare UNIT` of UNITS_FILE (as scripts/lint.sh lists them) prints
`UNIT KEY`, where KEY is the SHA-256 of everything clang-tidy's verdict on that unit depends
on: the clang-tidy version, .clang-tidy, the compile flags from DB (paths made relative to
ROOT) and the unit's preprocessed text (every header it includes, ours and the system's,
with ROOT replaced so that two checkouts of the same commit give the same keys).

scripts/lint.sh skips a unit whose key is listed in .ci/tidy-clean (clang-tidy found nothing
in it before) and adds the keys of units it finds clean. A key can only match when none of
those inputs changed, so skipping never hides a finding; a stale list only costs time.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys


# Defines whose value changes with every commit (the revision `ecsync version` prints). A
# string literal's content cannot change clang-tidy's verdict, so the key leaves the value
# out; otherwise no key could ever match in the clean clone of the commit that lists it.
VOLATILE_DEFINES = ("ECSYNC_REVISION",)


def volatile_values(flags):
    """Removes the volatile defines from `flags`; returns their values."""
    values = []
    for flag in list(flags):
        for name in VOLATILE_DEFINES:
            if flag.startswith("-D" + name + "="):
                flags.remove(flag)
                value = flag.split("=", 1)[1].strip('"')
                if value:
                    values.append(value)
    return values


def compile_args(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-c", "-MF", "-MT", "-MQ"):
            skip = arg != "-c"
            continue
        if arg in ("-MD", "-MMD") or arg == entry["file"]:
            continue
        out.append(arg)
    return args[0], out


def neutral(text, volatile):
    for value in volatile:
        text = text.replace(value.encode(), b"@VOLATILE@")
    return text


def main():
    db_path, root, listing = sys.argv[1:4]
    root = os.path.realpath(root)
    db = {}
    for entry in json.load(open(db_path)):
        path = os.path.relpath(os.path.join(entry["directory"], entry["file"]), root)
        db[path] = entry
    tidy = os.environ.get("CLANG_TIDY", "clang-tidy")
    version = subprocess.run([tidy, "--version"], capture_output=True, text=True).stdout
    with open(os.path.join(root, ".clang-tidy"), "rb") as f:
        config = f.read()
    units = [line.split(None, 1) for line in open(listing).read().splitlines() if line]

    def key(kind_unit):
        kind, unit = kind_unit
        if kind == "db" and unit in db:
            compiler, flags = compile_args(db[unit])
            cwd = db[unit]["directory"]
        else:
            compiler, flags, cwd = "c++", ["-std=c++20", "-I" + root], root
        pre = subprocess.run([compiler] + flags + ["-E", "-P", os.path.join(root, unit)],
                             cwd=cwd, capture_output=True)
        volatile = volatile_values(flags)
        if pre.returncode != 0:
            return unit, None  # clang-tidy will report what is wrong
        h = hashlib.sha256()
        for part in (version.encode(), config,
                     " ".join(flags).replace(cwd, "@BUILD@").replace(root, "@ROOT@").encode(),
                     neutral(pre.stdout.replace(root.encode(), b"@ROOT@"), volatile)):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        return unit, h.hexdigest()

    jobs = int(os.environ.get("ECSYNC_LINT_JOBS") or os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for unit, digest in pool.map(key, units):
            if digest:
                print(unit, digest)


if __name__ == "__main__":
    main()
