"""Build the Windows setup program, ``dist/Wenku-<version>-setup.exe``, from the PyInstaller bundle.

Runs ``makensis`` (NSIS 3) on ``wenku.nsi`` next to this file. Works on Windows and, with the
``nsis`` package's Linux ``makensis``, as a cross-build anywhere. Standard library only.

From ``packaging/build.py``::

    sys.path.insert(0, str(Path(__file__).parent / "windows"))
    from build_installer import build_installer
    setup_exe = build_installer(bundle, version(), DIST)   # dist/wenku -> dist/Wenku-0.1.0-setup.exe
                                                           # dist/wenku-cuda -> ...-cuda-setup.exe

Or on its own: ``python packaging/windows/build_installer.py [--src DIR] [--out DIR] [--variant cuda]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NSI = HERE / "wenku.nsi"
#: Where the NSIS installers put makensis on Windows, when it is not on PATH.
WINDOWS_NSIS_DIRS = [os.environ.get(name, "") + r"\NSIS" for name in ("ProgramFiles(x86)", "ProgramFiles")]


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``[project] version`` from pyproject.toml."""
    with pyproject.open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def numeric_version(version: str) -> str:
    """The a.b.c.d form Windows file properties need: ``0.1.0rc1`` -> ``0.1.0.0``."""
    leading = re.match(r"[\d.]*", version)  # always matches, maybe empty
    numbers = [int(n) for n in re.findall(r"\d+", leading.group(0) if leading else "")][:4]
    return ".".join(str(n) for n in numbers + [0] * (4 - len(numbers)))


def find_makensis() -> str:
    """The makensis executable: on PATH, or in the usual NSIS install folder on Windows."""
    found = shutil.which("makensis")
    if found:
        return found
    if sys.platform == "win32":
        for folder in WINDOWS_NSIS_DIRS:
            candidate = Path(folder, "makensis.exe")
            if candidate.is_file():
                return str(candidate)
    raise FileNotFoundError("makensis not found: install NSIS 3 (Windows: choco install nsis; Debian/Ubuntu: apt install nsis)")


def installer_name(version: str, variant: str | None = None) -> str:
    """``Wenku-0.1.0-setup.exe``, or ``Wenku-0.1.0-cuda-setup.exe`` for a variant."""
    suffix = f"-{variant.lower()}" if variant else ""
    return f"Wenku-{version}{suffix}-setup.exe"


def makensis_command(src_dir: Path, out_file: Path, version: str, variant: str | None = None,
                     makensis: str = "makensis") -> list[str]:
    """The makensis command line. ``-`` options work on Windows and on Linux; warnings are errors."""
    command = [
        makensis, "-WX", "-V2", "-INPUTCHARSET", "UTF8",
        f"-DVERSION={version}",
        f"-DVI_VERSION={numeric_version(version)}",
        f"-DSRCDIR={src_dir}",
        f"-DOUTFILE={out_file}",
    ]
    if variant:
        command.append(f"-DVARIANT={variant.upper()}")  # shown as "Wenku (CUDA)"
    return command + [str(NSI)]


def bundle_variant(src_dir: Path) -> str | None:
    """The variant a bundle folder's name implies: ``dist/wenku-cuda`` -> ``cuda``, ``dist/wenku`` -> None."""
    prefix = "wenku-"
    return src_dir.name[len(prefix):] if src_dir.name.lower().startswith(prefix) else None


def build_installer(src_dir: Path = ROOT / "dist" / "wenku", version: str | None = None,
                    out_dir: Path = ROOT / "dist", variant: str | None = None) -> Path:
    """Compile the setup program and return its path. Raises if anything is missing or fails.

    ``version`` defaults to pyproject's; ``variant`` to what the bundle's folder name says
    (``wenku-cuda`` -> ``cuda``).
    """
    src_dir, out_dir = Path(src_dir).resolve(), Path(out_dir).resolve()
    for exe in ("wenku.exe", "wenku-desktop.exe"):
        if not (src_dir / exe).is_file():
            raise FileNotFoundError(f"{src_dir / exe} is missing: build the PyInstaller bundle first")
    version = version or project_version()
    variant = variant or bundle_variant(src_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_file = out_dir / installer_name(version, variant)
    out_file.unlink(missing_ok=True)
    command = makensis_command(src_dir, out_file, version, variant, find_makensis())
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    if not out_file.is_file():
        raise RuntimeError(f"makensis succeeded but {out_file} is missing")
    return out_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Windows installer from the PyInstaller bundle.")
    parser.add_argument("--src", type=Path, default=ROOT / "dist" / "wenku", help="the bundle folder (dist/wenku)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the setup .exe goes (dist)")
    parser.add_argument("--variant", help="build flavour in the name, e.g. cuda (default: from --src, wenku-cuda)")
    parser.add_argument("--version", help="override the version from pyproject.toml")
    args = parser.parse_args(argv)
    print(build_installer(args.src, args.version, args.out, args.variant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
