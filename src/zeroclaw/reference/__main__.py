"""`python -m zeroclaw.reference [--check] [--docs DIR]`: regenerate every generated doc.

Without `--check` it rewrites the files that changed and names them; with `--check` it
changes nothing and exits 1 naming the files that are out of date. Run it from the
repository's root (or give `--docs`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zeroclaw.errors import ZeroClawError
from zeroclaw.reference.documents import generated_documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zeroclaw.reference")
    parser.add_argument("--check", action="store_true", help="only say what is out of date")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the docs folder")
    options = parser.parse_args(argv)
    if not options.docs.is_dir():
        print(
            f"error: no docs folder at {options.docs}\n"
            "hint: run this from the repository's root, or pass --docs DIR",
            file=sys.stderr,
        )
        return 1
    stale = []
    try:
        for document in generated_documents(options.docs):
            current = document.path.read_text("utf-8") if document.path.exists() else ""
            text = document.render(current)
            untranslated = len(document.catalogue.missing) + len(document.catalogue.stale)
            if untranslated:
                print(f"note: {document.path}: {untranslated} description(s) not translated yet")
            if text == current:
                continue
            stale.append(document.path)
            if not options.check:
                document.path.write_text(text, encoding="utf-8")
    except ZeroClawError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    verb = "out of date" if options.check else "rewritten"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if options.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
