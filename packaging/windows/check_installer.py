r"""Install a Wenku setup program silently, use it, upgrade it, uninstall it, and check every step.

Windows only: ``.github/workflows/windows.yml`` runs it on a fresh runner. It installs for the
current user into the default folder, so on a person's machine run it in a throwaway account::

    python packaging\windows\check_installer.py dist\Wenku-0.1.0-setup.exe --data-dir %TEMP%\wk

1. ``setup.exe /S``: files, Start menu and desktop shortcuts, "Open with" and uninstall registry entries;
2. the installed ``wenku.exe --data-dir DIR smoke`` works;
3. while ``wenku-desktop.exe`` runs, silent setup and silent uninstall refuse (exit code 2);
4. ``setup.exe /S`` again is an upgrade: the old uninstaller runs first (a stale file goes), data stays;
5. the registered QuietUninstallString removes program, shortcuts and registry entries, keeps user data;
6. only if ``%LOCALAPPDATA%\Wenku`` did not exist before: install again, uninstall with ``/REMOVEDATA``,
   and the data folder is gone too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

if sys.platform == "win32":
    import winreg

UNINST_KEY = r"Software\Microsoft\Windows\CurrentVersion\Uninstall\Wenku"
APP_KEY = r"Software\Classes\Applications\wenku-desktop.exe"
PROGID_KEY = r"Software\Classes\Wenku.PDF"
OPENWITH_KEY = r"Software\Classes\.pdf\OpenWithProgids"
SHELL_FOLDERS = r"Software\Microsoft\Windows\CurrentVersion\Explorer\User Shell Folders"
ABORTED = 2  # NSIS exit code: aborted by the script


def ok(what: str) -> None:
    print(f"ok: {what}", flush=True)


def check(condition: object, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    ok(what)


def reg_value(key: str, name: str) -> object:
    """A value under HKCU, or None if the key or value is missing."""
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
            return winreg.QueryValueEx(handle, name)[0]
    except FileNotFoundError:
        return None


def reg_has_value(key: str, name: str) -> bool:
    """Whether HKCU has the value (REG_NONE values read back as None, so reg_value cannot tell)."""
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
            winreg.QueryValueEx(handle, name)
        return True
    except FileNotFoundError:
        return False


def reg_key_exists(key: str) -> bool:
    try:
        winreg.OpenKey(winreg.HKEY_CURRENT_USER, key).Close()
        return True
    except FileNotFoundError:
        return False


def shell_folder(name: str) -> Path:
    """The user's Start menu "Programs" or "Desktop" folder (which may be redirected)."""
    return Path(os.path.expandvars(str(reg_value(SHELL_FOLDERS, name))))


class Paths:
    def __init__(self) -> None:
        local = Path(os.environ["LOCALAPPDATA"])
        self.install_dir = local / "Programs" / "Wenku"
        self.user_data = local / "Wenku"
        self.start_menu = shell_folder("Programs") / "Wenku.lnk"
        self.desktop = shell_folder("Desktop") / "Wenku.lnk"


def run_setup(setup: Path, *args: str) -> int:
    print(f"+ {setup} {' '.join(args)}", flush=True)
    return subprocess.run([str(setup), *args], timeout=1800).returncode


def uninstall(paths: Paths, *extra: str) -> None:
    """Run the registered QuietUninstallString and wait until the uninstaller's copy has finished.

    The uninstaller copies itself to %TEMP% and returns at once, so we wait for its effects.
    """
    command = reg_value(UNINST_KEY, "QuietUninstallString")
    check(isinstance(command, str) and command.endswith("/S"), f"QuietUninstallString is registered: {command!r}")
    full = f"{command} {' '.join(extra)}".strip()
    print(f"+ {full}", flush=True)
    check(subprocess.run(full, timeout=600).returncode == 0, "uninstaller started")
    deadline = time.monotonic() + 600
    while paths.install_dir.exists() or reg_key_exists(UNINST_KEY):
        if time.monotonic() > deadline:
            raise SystemExit(f"FAILED: {paths.install_dir} or the uninstall entry still there after 10 minutes")
        time.sleep(2)


def check_installed(paths: Paths) -> None:
    for name in ("wenku.exe", "wenku-desktop.exe", "uninstall.exe", "_internal"):
        check((paths.install_dir / name).exists(), f"installed {paths.install_dir / name}")
    check(paths.start_menu.is_file(), f"Start menu shortcut {paths.start_menu}")
    check(paths.desktop.is_file(), f"desktop shortcut {paths.desktop}")
    command = f'"{paths.install_dir / "wenku-desktop.exe"}" "%1"'
    check(reg_value(APP_KEY + r"\shell\open\command", "") == command, f"Open with command {command}")
    check(reg_value(PROGID_KEY + r"\shell\open\command", "") == command, "Wenku.PDF ProgID command")
    check(reg_has_value(APP_KEY + r"\SupportedTypes", ".pdf"), "SupportedTypes .pdf")
    check(reg_has_value(OPENWITH_KEY, "Wenku.PDF"), ".pdf OpenWithProgids lists Wenku.PDF")
    check(reg_value(r"Software\Classes\.pdf", "") != "Wenku.PDF", "the default PDF handler is not taken over")
    for name in ("DisplayName", "DisplayVersion", "Publisher", "DisplayIcon", "UninstallString"):
        check(reg_value(UNINST_KEY, name), f"uninstall entry {name} = {reg_value(UNINST_KEY, name)!r}")
    size = reg_value(UNINST_KEY, "EstimatedSize")
    check(isinstance(size, int) and size > 1000, f"EstimatedSize = {size} KiB")
    check(Path(str(reg_value(UNINST_KEY, "InstallLocation"))) == paths.install_dir, "InstallLocation")


def check_uninstalled(paths: Paths) -> None:
    check(not paths.install_dir.exists(), f"{paths.install_dir} removed")
    check(not paths.start_menu.exists() and not paths.desktop.exists(), "shortcuts removed")
    for key in (UNINST_KEY, APP_KEY, PROGID_KEY):
        check(not reg_key_exists(key), f"HKCU\\{key} removed")
    check(not reg_has_value(OPENWITH_KEY, "Wenku.PDF"), "Wenku.PDF dropped from .pdf OpenWithProgids")


def check_running_app_blocks(paths: Paths, setup: Path, data_dir: Path) -> None:
    """With the GUI running, silent setup and uninstall must stop (exit 2) and change nothing."""
    app = subprocess.Popen([str(paths.install_dir / "wenku-desktop.exe"), "--data-dir", str(data_dir)])
    try:
        time.sleep(5)
        check(app.poll() is None, "wenku-desktop.exe started")
        check(run_setup(setup, "/S") == ABORTED, "setup /S refuses while Wenku runs (exit 2)")
        # _?= runs the uninstaller in place, so its exit code is the real one. NSIS reads _?= to the
        # end of the command line, unquoted, so the line is written out by hand.
        command = f'"{paths.install_dir / "uninstall.exe"}" /S _?={paths.install_dir}'
        print(f"+ {command}", flush=True)
        code = subprocess.run(command, timeout=600).returncode
        check(code == ABORTED, f"uninstall /S refuses while Wenku runs (exit {code})")
        check((paths.install_dir / "wenku-desktop.exe").exists(), "the installation is untouched")
    finally:
        app.terminate()
        app.wait(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("setup", type=Path, help="the Wenku-<version>-setup.exe to check")
    parser.add_argument("--data-dir", type=Path, required=True, help="data folder for the smoke test")
    args = parser.parse_args(argv)
    if sys.platform != "win32":
        raise SystemExit("check_installer.py runs on Windows only")
    setup, data_dir = args.setup.resolve(), args.data_dir.resolve()
    paths = Paths()
    if paths.install_dir.exists() or reg_key_exists(UNINST_KEY):
        raise SystemExit(f"Wenku is already installed for this user ({paths.install_dir}); use a clean account")
    data_existed = paths.user_data.exists()

    check(run_setup(setup, "/S") == 0, "setup /S exit code 0")
    check_installed(paths)

    print(f"+ wenku.exe --data-dir {data_dir} smoke", flush=True)
    smoke = subprocess.run([str(paths.install_dir / "wenku.exe"), "--data-dir", str(data_dir), "smoke"], timeout=3600)
    check(smoke.returncode == 0, "installed wenku.exe smoke")

    check_running_app_blocks(paths, setup, data_dir)

    paths.user_data.mkdir(parents=True, exist_ok=True)
    marker = paths.user_data / "check-installer-marker.txt"
    marker.write_text("user data must survive upgrades and a default uninstall\n", encoding="utf-8")
    stale = paths.install_dir / "_internal" / "check-installer-stale.txt"
    stale.write_text("left by an older version\n", encoding="utf-8")
    check(run_setup(setup, "/S") == 0, "upgrade: setup /S over the installed version")
    check_installed(paths)
    check(not stale.exists(), "upgrade ran the old uninstaller first (stale file gone)")
    check(marker.is_file(), "upgrade kept the user data")

    uninstall(paths)
    check_uninstalled(paths)
    check(marker.is_file(), f"default uninstall kept the user data in {paths.user_data}")
    check(data_dir.is_dir(), f"default uninstall kept the smoke data in {data_dir}")

    if data_existed:
        marker.unlink()
        print(f"skipped /REMOVEDATA: {paths.user_data} existed before this check and is not ours to delete")
    else:
        check(run_setup(setup, "/S") == 0, "setup /S again")
        uninstall(paths, "/REMOVEDATA")
        check_uninstalled(paths)
        check(not paths.user_data.exists(), f"/REMOVEDATA removed {paths.user_data}")
    print("all installer checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
