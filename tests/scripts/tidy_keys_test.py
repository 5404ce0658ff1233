#!/usr/bin/env python3
"""scripts/tidy_keys.py: a key changes exactly when what clang-tidy would see changes.

Two checkouts of the same files at different paths give the same key (CI's clean clone must
match the list a developer committed); a change to an included header, to the flags or to
.clang-tidy gives a new key; a file the unit does not include changes nothing.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "tidy_keys.py"


def make_root(base, name, header="int f();\n", flags="-std=c++20", config="Checks: '-*'\n"):
    root = pathlib.Path(base) / name / "src"
    (root / "build").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / ".clang-tidy").write_text(config)
    (root / "lib" / "b.h").write_text(header)
    (root / "lib" / "other.h").write_text("int unrelated();\n")
    (root / "lib" / "a.cc").write_text(
        '#include "lib/b.h"\nconst char* where() { return __FILE__; }\nint g() { return f(); }\n'
        '#ifdef ECSYNC_REVISION\nconst char* revision() { return ECSYNC_REVISION; }\n#endif\n')
    db = [{"directory": str(root / "build"), "file": str(root / "lib" / "a.cc"),
           "command": f"c++ {flags} -I{root} -o lib/a.o -c {root}/lib/a.cc"}]
    (root / "build" / "compile_commands.json").write_text(json.dumps(db))
    (root / "units").write_text("db lib/a.cc\n")
    return root


def key(root):
    out = subprocess.run([sys.executable, str(SCRIPT), str(root / "build/compile_commands.json"),
                          str(root), str(root / "units")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "lib/a.cc", out
    return out[1]


def main():
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        first = key(make_root(tmp, "one"))
        expect(first == key(make_root(tmp, "two-at-another-path")),
               "the same files at another path (and __FILE__ in them) keep the key")
        changed_other = make_root(tmp, "unrelated")
        (changed_other / "lib" / "other.h").write_text("int changed();\n")
        expect(first == key(changed_other), "a header the unit does not include keeps the key")
        expect(first != key(make_root(tmp, "header", header="int f(int);\n")),
               "a change in an included header changes the key")
        expect(first != key(make_root(tmp, "flags", flags="-std=c++20 -DX=1")),
               "other flags change the key")
        expect(first != key(make_root(tmp, "config", config="Checks: 'bugprone-*'\n")),
               "another .clang-tidy changes the key")
        expect(key(make_root(tmp, "rev1", flags='-std=c++20 -DECSYNC_REVISION=\\"abc123\\"')) ==
               key(make_root(tmp, "rev2", flags='-std=c++20 -DECSYNC_REVISION=\\"def456\\"')),
               "the commit's revision define keeps the key (it changes with every commit)")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
