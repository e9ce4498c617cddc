"""Linux packages from the PyInstaller folder: an AppImage (no root) and a .deb (Debian 12+).

Called by ``packaging/build.py --appimage --deb``; also runnable alone on an existing bundle:

    python packaging/linux/build_linux.py dist/wenku [--appimage] [--deb] [--no-smoke]

AppImage, built by hand because appimagetool and the official runtime come from GitHub, which these
build machines cannot reach (see README, "Install → Linux"):
    AppDir/  AppRun (packaging/linux/AppRun), wenku.desktop, wenku.png, .DirIcon,
             usr/lib/wenku/ (the bundle), usr/share/{applications,icons}/…
    mksquashfs AppDir image.squashfs -root-owned -noappend -comp zstd
    gcc -Os -s -o runtime packaging/linux/runtime.c   (our runtime: squashfuse mount, else unsquashfs)
    cat runtime image.squashfs > Wenku-<version>-x86_64.AppImage
.deb: /opt/wenku (the bundle), /usr/bin/wenku and /usr/bin/wenku-desktop (symlinks), the desktop
entry with ``MimeType=application/pdf`` ("Open with Wenku"), hicolor icons; ``dpkg-deb --build``.

Smoke tests, as a user would start each artifact: the AppImage as an unprivileged user (mounted
with FUSE, then again extracted with APPIMAGE_EXTRACT_AND_RUN=1); the .deb installed with
``apt install ./wenku_*.deb`` (root only), started from /usr/bin, then removed and checked gone.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ICONS = ROOT / "packaging" / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
sys.path.insert(0, str(ROOT / "packaging"))
import artifact_checks as checks  # noqa: E402 - packaging/ is not a package

DEB_DEPENDS = (  # what Qt's xcb/offscreen platforms, PyMuPDF and llama.cpp load from the system
    "libc6 (>= 2.34), libstdc++6, libgl1, libegl1, libfontconfig1, libfreetype6, libxkbcommon0, "
    "libxkbcommon-x11-0, libglib2.0-0, libdbus-1-3, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, "
    "libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, "
    "libxcb-xkb1, libgomp1"
)


def log(message: str) -> None:
    print(f"[linux] {message}", flush=True)


def icon(size: int) -> Path:
    path = ICONS / f"wenku-{size}.png"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run python packaging/make_icons.py")
    return path


def copy_tree(source: Path, target: Path) -> None:
    """Hard-link the bundle where possible (it is large), copy otherwise."""
    try:
        subprocess.run(["cp", "-al", str(source), str(target)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        shutil.copytree(source, target, symlinks=True)


def install_desktop_files(root: Path) -> None:
    """The desktop entry and hicolor icons under ``root/usr/share``."""
    applications = root / "usr/share/applications"
    applications.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "wenku.desktop", applications / "wenku.desktop")
    for size in ICON_SIZES:
        folder = root / f"usr/share/icons/hicolor/{size}x{size}/apps"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icon(size), folder / "wenku.png")
    scalable = root / "usr/share/icons/hicolor/scalable/apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "resources/icons/wenku.svg", scalable / "wenku.svg")


# --- AppImage ---------------------------------------------------------------------------------------


def build_runtime(work: Path) -> Path:
    runtime = work / "runtime"
    subprocess.run(["gcc", "-Os", "-s", "-Wall", "-Werror", "-o", str(runtime), str(HERE / "runtime.c")], check=True)
    offset = int(subprocess.run([str(runtime), "--appimage-offset"], capture_output=True, text=True, check=True).stdout)
    if offset != runtime.stat().st_size:
        raise RuntimeError(f"the runtime's computed squashfs offset {offset} is not its size {runtime.stat().st_size}")
    return runtime


def build_appimage(bundle: Path, version: str, dist: Path) -> Path:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wenku-appdir-", dir=dist) as work_dir:
        work = Path(work_dir)
        appdir = work / "Wenku.AppDir"
        (appdir / "usr/lib").mkdir(parents=True)
        copy_tree(bundle, appdir / "usr/lib/wenku")
        shutil.copy2(HERE / "AppRun", appdir / "AppRun")
        (appdir / "AppRun").chmod(0o755)
        install_desktop_files(appdir)
        shutil.copy2(HERE / "wenku.desktop", appdir / "wenku.desktop")
        shutil.copy2(icon(256), appdir / "wenku.png")
        os.symlink("wenku.png", appdir / ".DirIcon")
        image = work / "image.squashfs"
        subprocess.run(["mksquashfs", str(appdir), str(image), "-root-owned", "-noappend", "-comp", "zstd",
                        "-Xcompression-level", "15", "-quiet", "-no-progress"], check=True)
        runtime = build_runtime(work)
        target = dist / f"Wenku-{version}-x86_64.AppImage"
        with open(target, "wb") as out:
            for part in (runtime, image):
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 8 << 20)
        target.chmod(0o755)
    log(f"AppImage {target} ({target.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return target


def unprivileged_user() -> tuple[list[str], dict[str, str], Path] | None:
    """A command prefix that drops root for a test (the AppImage must need none), or None if we are not root."""
    if os.geteuid() != 0:
        return None
    home = Path(tempfile.mkdtemp(prefix="wenku-user-"))
    nobody = pwd.getpwnam("nobody")
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    home.chmod(0o700)
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"], {"HOME": str(home)}, home


def smoke_appimage(appimage: Path, extra_env: dict[str, str]) -> dict[str, object]:
    """Start the AppImage as a normal user, mounted (FUSE) and unpacked; the GUI offscreen too."""
    results: dict[str, object] = {}
    user = unprivileged_user()
    prefix, env_extra, home = user if user else ([], {}, Path(tempfile.mkdtemp(prefix="wenku-user-")))
    if user:
        appimage.parent.chmod(appimage.parent.stat().st_mode | 0o005)  # nobody must reach dist/
    who = ", as nobody" if user else ""
    try:
        for mode, mode_env in (("fuse", {}), ("extract", {"APPIMAGE_EXTRACT_AND_RUN": "1"})):
            env = checks.clean_env({**extra_env, **env_extra, **mode_env, "XDG_CACHE_HOME": str(home / "cache")})
            command = prefix + [str(appimage), "cli", "--data-dir", str(home / f"data-{mode}"), "smoke", "--json"]
            results[mode] = checks.check_cli(command, env, f"AppImage ({mode}{who})")
            if mode == "fuse":  # did it really mount, or fall back to unpacking (no usable /dev/fuse)?
                unpacked = (home / "cache" / "wenku-appimage").exists()
                results["fuse_mounted"] = not unpacked
                if unpacked:
                    log("AppImage: FUSE was not usable for this user here; the runtime unpacked instead")
                    shutil.rmtree(home / "cache" / "wenku-appimage")
        env = checks.clean_env({**extra_env, **env_extra, "XDG_CACHE_HOME": str(home / "cache")})
        results["gui"] = checks.check_gui(prefix + [str(appimage), "--data-dir", str(home / "data-gui")], env,
                                          home / "appimage.png", f"AppImage{who}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return results


# --- .deb ------------------------------------------------------------------------------------------------


def build_deb(bundle: Path, version: str, dist: Path) -> Path:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wenku-deb-", dir=dist) as work_dir:
        root = Path(work_dir) / "root"
        (root / "opt").mkdir(parents=True)
        copy_tree(bundle, root / "opt/wenku")
        (root / "usr/bin").mkdir(parents=True)
        for program in ("wenku", "wenku-desktop"):
            os.symlink(f"/opt/wenku/{program}", root / "usr/bin" / program)
        install_desktop_files(root)
        doc = root / "usr/share/doc/wenku"
        doc.mkdir(parents=True)
        (doc / "copyright").write_text(
            "Wenku — the Wenku team. Licence: AGPL-3.0-or-later (/usr/share/common-licenses/AGPL-3 is not in\n"
            "Debian's base set; see https://www.gnu.org/licenses/agpl-3.0.txt). Bundled: Python, Qt (PySide6,\n"
            "LGPL-3.0), PyMuPDF (AGPL-3.0), llama.cpp (MIT), Qdrant Edge (Apache-2.0), RapidOCR (Apache-2.0),\n"
            "multilingual-e5-small (MIT) and, in builds with models, Qwen2.5-Coder-1.5B-Instruct (Apache-2.0).\n",
            encoding="utf-8")
        installed_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN/control").write_text(
            f"Package: wenku\nVersion: {version}\nArchitecture: amd64\nMaintainer: The Wenku team <wenku@localhost>\n"
            f"Installed-Size: {installed_kb}\nDepends: {DEB_DEPENDS}\nSection: text\nPriority: optional\n"
            "Description: offline assistant that answers from your own documents\n"
            " Wenku (文库) imports PDFs (born-digital or scanned, Chinese or English), Word, HTML,\n"
            " Markdown, text and pictures, and answers questions in Chinese or English from them\n"
            " only, with citations that open the page. Everything runs on this computer.\n",
            encoding="utf-8")
        target = dist / f"wenku_{version}_amd64.deb"
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-z9", "--build", str(root), str(target)],
                       check=True, capture_output=True)
    log(f".deb {target} ({target.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return target


def smoke_deb(deb: Path, extra_env: dict[str, str]) -> dict[str, object]:
    """apt install ./wenku_*.deb, run it from /usr/bin, check the desktop entry, apt remove, check it is gone."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(".deb install test skipped: needs root and apt")
        return {"skipped": "needs root and apt"}
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", str(deb.resolve())], check=True,
                   capture_output=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    results: dict[str, object] = {}
    try:
        entry = Path("/usr/share/applications/wenku.desktop").read_text(encoding="utf-8")
        if "MimeType=application/pdf;" not in entry or not Path("/usr/bin/wenku-desktop").exists():
            raise RuntimeError("the installed package lacks its desktop entry or /usr/bin/wenku-desktop")
        env = checks.clean_env(extra_env)
        with tempfile.TemporaryDirectory(prefix="wenku-deb-data-") as data:
            results["cli"] = checks.check_cli(["/usr/bin/wenku", "--data-dir", data, "smoke", "--json"], env,
                                              ".deb (installed)")
        with tempfile.TemporaryDirectory(prefix="wenku-deb-gui-") as data:
            results["gui"] = checks.check_gui(["/usr/bin/wenku-desktop", "--data-dir", data], env,
                                              Path(data) / "deb.png", ".deb (installed)")
    finally:
        subprocess.run(["apt-get", "remove", "-y", "--purge", "wenku"], check=True, capture_output=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    leftovers = [p for p in ("/opt/wenku", "/usr/bin/wenku", "/usr/bin/wenku-desktop",
                             "/usr/share/applications/wenku.desktop") if os.path.lexists(p)]
    if leftovers:
        raise RuntimeError(f"apt remove left {leftovers} behind")
    results["uninstall"] = "clean"
    log(".deb: installed with apt, smoke-tested, removed cleanly")
    return results


def build_linux_packages(bundle: Path, version: str, *, appimage: bool, deb: bool, smoke: bool,
                         extra_env: dict[str, str] | None = None) -> dict[str, object]:
    """Build (and smoke-test) the requested packages next to ``bundle``; returns what happened."""
    dist = bundle.parent
    summary: dict[str, object] = {}
    if appimage:
        path = build_appimage(bundle, version, dist)
        summary["appimage"] = {"path": str(path), "mb": round(path.stat().st_size / 1e6, 1)}
        if smoke:
            summary["appimage_smoke"] = smoke_appimage(path, extra_env or {})
    if deb:
        path = build_deb(bundle, version, dist)
        summary["deb"] = {"path": str(path), "mb": round(path.stat().st_size / 1e6, 1)}
        if smoke:
            summary["deb_smoke"] = smoke_deb(path, extra_env or {})
    return summary


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tomllib

    parser = argparse.ArgumentParser(description="Build the AppImage and/or .deb from a PyInstaller bundle folder.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--appimage", action="store_true")
    parser.add_argument("--deb", action="store_true")
    parser.add_argument("--no-smoke", action="store_true")
    parser.add_argument("--models", type=Path, help="WENKU_MODELS for the smoke tests of a bundle without models")
    args = parser.parse_args(argv)
    with open(ROOT / "pyproject.toml", "rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    extra = {"WENKU_MODELS": str(args.models.resolve())} if args.models else {}
    summary = build_linux_packages(args.bundle.resolve(), version, appimage=args.appimage, deb=args.deb,
                                   smoke=not args.no_smoke, extra_env=extra)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
