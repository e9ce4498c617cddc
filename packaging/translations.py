"""Refresh and build the Qt translations of the desktop app.

    python packaging/translations.py update   # pyside6-lupdate: collect tr() strings into the .ts files
    python packaging/translations.py build    # pyside6-lrelease: .ts -> .qm (the .qm files are committed)
    python packaging/translations.py check    # exit 1 if a .ts has unfinished entries or a .qm is stale

Translations themselves are written in ``resources/translations/wenku_<locale>.ts`` (Qt Linguist
or any editor). tests/desktop/test_translations.py runs the same checks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "resources" / "translations"
LOCALES = ("zh_CN",)


def tool(name: str) -> str:
    """The pyside6-* tool next to the running Python, else on PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found (it comes with PySide6)")
    return found


def ts_file(locale: str) -> Path:
    return TRANSLATIONS / f"wenku_{locale}.ts"


def update() -> None:
    sources = sorted(str(p.relative_to(REPO)) for p in (REPO / "desktop").glob("*.py"))
    for locale in LOCALES:
        subprocess.run([tool("pyside6-lupdate"), *sources, "-ts", str(ts_file(locale).relative_to(REPO)),
                        "-target-language", locale, "-no-obsolete", "-locations", "none"], cwd=REPO, check=True)


def build(out_dir: Path = TRANSLATIONS) -> list[Path]:
    built = []
    for locale in LOCALES:
        target = out_dir / f"wenku_{locale}.qm"
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts_file(locale)), "-qm", str(target)], check=True)
        built.append(target)
    return built


def unfinished(locale: str) -> list[str]:
    """Source texts of entries without a finished translation."""
    tree = ET.parse(ts_file(locale))
    missing = []
    for message in tree.iter("message"):
        translation = message.find("translation")
        text = "".join(translation.itertext()).strip() if translation is not None else ""
        if translation is None or translation.get("type") in ("unfinished", "vanished", "obsolete") or not text:
            missing.append(message.findtext("source") or "")
    return missing


def check() -> list[str]:
    problems = []
    for locale in LOCALES:
        problems += [f"{locale}: untranslated: {text!r}" for text in unfinished(locale)]
    with tempfile.TemporaryDirectory() as tmp:
        for fresh in build(Path(tmp)):
            committed = TRANSLATIONS / fresh.name
            if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                problems.append(f"{committed.name} is stale: run 'python packaging/translations.py build'")
    return problems


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "build":
        build()
    elif command == "check":
        found = check()
        print("\n".join(found) or "translations complete and built")
        sys.exit(1 if found else 0)
    else:
        raise SystemExit(__doc__)
