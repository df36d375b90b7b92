"""`python -m zeroclaw.reference [--check] [--todo LANG] [--docs DIR]`: regenerate every
generated doc, English and translated.

Without options it rewrites the files that changed and names them; `--check` changes
nothing and exits 1 naming the files that are out of date; `--todo LANG` prints, as TOML
to paste into docs/LANG/descriptions.toml, every description of that language that is
missing or whose English changed, with the English to translate. Run it from the
repository's root (or give `--docs`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zeroclaw.errors import ZeroClawError
from zeroclaw.reference.catalogue import Catalogue, fingerprint
from zeroclaw.reference.documents import LANGUAGES, Generated, generated_documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zeroclaw.reference")
    parser.add_argument("--check", action="store_true", help="only say what is out of date")
    parser.add_argument("--todo", choices=LANGUAGES, help="what LANG lacks, as TOML")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the docs folder")
    options = parser.parse_args(argv)
    if not options.docs.is_dir():
        print(
            f"error: no docs folder at {options.docs}\n"
            "hint: run this from the repository's root, or pass --docs DIR",
            file=sys.stderr,
        )
        return 1
    try:
        if options.todo:
            print(_todo(generated_documents(options.docs, (options.todo,))), end="")
            return 0
        return _regenerate(generated_documents(options.docs), check=options.check)
    except ZeroClawError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1


def _regenerate(documents: list[Generated], *, check: bool) -> int:
    stale = []
    for document in documents:
        current = document.path.read_text("utf-8") if document.path.exists() else ""
        text = document.render(current)
        untranslated = len(document.catalogue.missing) + len(document.catalogue.stale)
        if untranslated:
            print(f"note: {document.path}: {untranslated} description(s) not translated yet")
        if text == current:
            continue
        stale.append(document.path)
        if not check:
            document.path.parent.mkdir(parents=True, exist_ok=True)
            document.path.write_text(text, encoding="utf-8")
    verb = "out of date" if check else "rewritten"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if check and stale else 0


def _todo(documents: list[Generated]) -> str:
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for document in documents[2:]:  # the English ones come first and need nothing
        current = document.path.read_text("utf-8") if document.path.exists() else ""
        document.render(current)
        lines += _entries(document.catalogue, seen)
    return "".join(lines)


def _entries(catalogue: Catalogue, seen: set[tuple[str, str]]) -> list[str]:
    out = []
    for kind, key in [*catalogue.missing, *catalogue.stale]:
        if (kind, key) in seen:
            continue
        seen.add((kind, key))
        english = catalogue.asked[(kind, key)]
        out.append(
            f"\n[{kind}.{json.dumps(key)}]\n"
            f"text = {json.dumps(english, ensure_ascii=False)}\n"
            f'source = "{fingerprint(english)}"\n'
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
