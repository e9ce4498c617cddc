"""The Windows installer script: it compiles with NSIS (warnings are errors) and registers what it must.

The compile tests need ``makensis`` (NSIS 3; on Debian/Ubuntu ``apt install nsis`` cross-builds
Windows installers) and skip without it. They build a dummy bundle, so no PyInstaller run is needed.
Running the produced setup program needs Windows; the CI workflow ``.github/workflows/windows.yml``
does that.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO

WINDOWS = REPO / "packaging" / "windows"
NSI = WINDOWS / "wenku.nsi"
MAKENSIS = shutil.which("makensis")
needs_makensis = pytest.mark.skipif(MAKENSIS is None, reason="makensis (NSIS 3) is not on PATH; apt install nsis")
PAYLOAD_BYTES = 2 * 256 * 1024


def load_build_installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_installer", WINDOWS / "build_installer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dummy_bundle(root: Path, name: str = "wenku") -> Path:
    """A stand-in for PyInstaller's dist/wenku: the two executables and an _internal tree.

    Random bytes, so compression cannot hide a payload that was left out.
    """
    bundle = root / "dist" / name
    (bundle / "_internal" / "resources").mkdir(parents=True)
    (bundle / "wenku.exe").write_bytes(os.urandom(PAYLOAD_BYTES // 2))
    (bundle / "wenku-desktop.exe").write_bytes(os.urandom(PAYLOAD_BYTES // 2))
    (bundle / "_internal" / "x.txt").write_text("dummy\n", encoding="utf-8")
    (bundle / "_internal" / "resources" / "y.txt").write_text("dummy\n", encoding="utf-8")
    return bundle


def assert_is_setup_exe(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data[:2] == b"MZ", "not a Windows executable"
    assert b"Nullsoft" in data, "not an NSIS installer"
    assert len(data) > PAYLOAD_BYTES / 2, f"{len(data)} bytes: the bundle is missing from the installer"


@needs_makensis
def test_compiles_with_only_the_required_defines(tmp_path: Path) -> None:
    bundle = dummy_bundle(tmp_path)
    out = tmp_path / "Wenku-9.8.7-setup.exe"
    result = subprocess.run(
        [MAKENSIS, "-WX", "-V2", "-INPUTCHARSET", "UTF8", "-DVERSION=9.8.7", f"-DSRCDIR={bundle}", f"-DOUTFILE={out}",
         str(NSI)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert_is_setup_exe(out)


@needs_makensis
def test_build_installer_for_the_cuda_bundle(tmp_path: Path) -> None:
    """As packaging/build.py calls it: build_installer(bundle, version, dist); the variant comes from the name."""
    build = load_build_installer()
    bundle = dummy_bundle(tmp_path, "wenku-cuda")
    setup = build.build_installer(bundle, "1.2.3rc1", tmp_path / "dist")
    assert setup == (tmp_path / "dist" / "Wenku-1.2.3rc1-cuda-setup.exe").resolve()
    assert_is_setup_exe(setup)
    assert "Wenku (CUDA)".encode("utf-16-le") in setup.read_bytes()  # the product name in the version info


@needs_makensis
def test_missing_define_is_an_error(tmp_path: Path) -> None:
    result = subprocess.run([MAKENSIS, "-V1", f"-DOUTFILE={tmp_path / 'x.exe'}", str(NSI)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode != 0
    assert "VERSION" in result.stdout + result.stderr


def test_build_installer_refuses_a_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="wenku.exe"):
        load_build_installer().build_installer(tmp_path / "nothing", "1.0", tmp_path / "dist")


def test_versions_and_names() -> None:
    build = load_build_installer()
    assert build.numeric_version("0.1.0") == "0.1.0.0"
    assert build.numeric_version("1.2rc1") == "1.2.0.0"
    assert build.numeric_version("dev") == "0.0.0.0"
    assert build.installer_name("0.1.0") == "Wenku-0.1.0-setup.exe"
    assert build.installer_name("0.1.0", "cuda") == "Wenku-0.1.0-cuda-setup.exe"
    assert build.bundle_variant(Path("dist/wenku")) is None
    assert build.bundle_variant(Path("dist/wenku-cuda")) == "cuda"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", build.project_version())


# --- what the script registers ----------------------------------------------------------------


def script() -> str:
    return NSI.read_text(encoding="utf-8-sig")


def defines() -> dict[str, str]:
    return dict(re.findall(r'^!define (\w+) "([^"]*)"', script(), flags=re.MULTILINE))


def test_registry_entries_are_per_user_and_complete() -> None:
    text, d = script(), defines()
    assert "RequestExecutionLevel user" in text
    assert "HKLM" not in text and "HKCR" not in text, "a per-user install writes HKCU only"
    assert d["UNINST_KEY"] == r"Software\Microsoft\Windows\CurrentVersion\Uninstall\Wenku"
    assert d["APP_KEY"] == r"Software\Classes\Applications\${APP_EXE}" and d["APP_EXE"] == "wenku-desktop.exe"
    assert d["PROGID"] == "Wenku.PDF" and d["PROGID_KEY"] == r"Software\Classes\${PROGID}"
    assert d["PDF_OPENWITH_KEY"] == r"Software\Classes\.pdf\OpenWithProgids"

    command = r"""'"$INSTDIR\${APP_EXE}" "%1"'"""
    assert f'WriteRegStr HKCU "${{APP_KEY}}\\shell\\open\\command" "" {command}' in text
    assert f'WriteRegStr HKCU "${{PROGID_KEY}}\\shell\\open\\command" "" {command}' in text
    assert 'WriteRegStr HKCU "${APP_KEY}\\SupportedTypes" ".pdf" ""' in text
    assert 'WriteRegNone HKCU "${PDF_OPENWITH_KEY}" "${PROGID}"' in text
    for value in ("DisplayName", "DisplayVersion", "Publisher", "DisplayIcon", "InstallLocation", "UninstallString",
                  "QuietUninstallString"):
        assert re.search(rf'WriteRegStr HKCU "\$\{{UNINST_KEY\}}" "{value}"', text), value
    for value in ("NoModify", "NoRepair", "EstimatedSize"):
        assert re.search(rf'WriteRegDWORD HKCU "\$\{{UNINST_KEY\}}" "{value}"', text), value
    assert '"Publisher" "${PUBLISHER}"' in text and d["PUBLISHER"] == "The Wenku team"
    assert text.count("${NOTIFY_ASSOC_CHANGED}") == 2  # after installing and after removing the association


def test_default_pdf_handler_is_left_alone() -> None:
    text = script()
    assert not re.search(r'WriteReg\w+ HKCU "Software\\Classes\\\.pdf" ""', text)
    assert "UserChoice" not in text


def test_uninstaller_removes_what_the_installer_writes() -> None:
    text = script()
    uninstall = text[text.index("; Uninstaller sections"):]
    for key in ("${APP_KEY}", "${PROGID_KEY}", "${UNINST_KEY}"):
        assert f'DeleteRegKey HKCU "{key}"' in uninstall, key
    assert 'DeleteRegValue HKCU "${PDF_OPENWITH_KEY}" "${PROGID}"' in uninstall
    assert 'Delete "$SMPROGRAMS\\${SHORTCUT}"' in uninstall and 'Delete "$DESKTOP\\${SHORTCUT}"' in uninstall
    # User data only goes in the optional, unticked section (or with /REMOVEDATA).
    assert defines()["DATA_DIR"] == r"$LOCALAPPDATA\Wenku"
    assert re.search(r'Section /o "un\.\$\(UNSEC_DATA_NAME\)" UNSEC_DATA\n  RMDir /r "\$\{DATA_DIR\}"', text)
    assert text.count('RMDir /r "${DATA_DIR}"') == 1
    assert '${GetOptions} $0 "/REMOVEDATA" $1' in text


def test_every_text_is_in_english_and_chinese() -> None:
    strings = re.findall(r"^LangString (\w+) \$\{LANG_(\w+)\}", script(), flags=re.MULTILINE)
    names = {name for name, _ in strings}
    assert names
    for name in names:
        assert sorted(lang for n, lang in strings if n == name) == ["ENGLISH", "SIMPCHINESE"], name
    used = set(re.findall(r"\$\((\w+)\)", script()))
    assert used <= names, f"used but not defined: {used - names}"
