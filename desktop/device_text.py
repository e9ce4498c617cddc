"""Translated sentences for the chat model's device report (``Engine.device_report``): the status
bar's short text ("GPU (CUDA) 28/28 layers", "CPU (CUDA unavailable: no GPU found)"), and the
details shown in its tooltip and in Preferences (video memory, layers, the CUDA error).

GUI thread only (translations follow the current UI language).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication


def reason_text(code: str) -> str:
    """A short, translated reason why the model runs (partly) on the CPU."""
    texts = {
        "no_cuda_build": QCoreApplication.translate("Device", "no CUDA in this llama.cpp build"),
        "no_device": QCoreApplication.translate("Device", "no GPU found"),
        "cuda_init_failed": QCoreApplication.translate("Device", "CUDA failed to start"),
        "vram_unknown": QCoreApplication.translate("Device", "free video memory unknown"),
        "not_enough_vram": QCoreApplication.translate("Device", "not enough free video memory"),
        "unreadable_model": QCoreApplication.translate("Device", "the model file's header cannot be read"),
        "user_setting": QCoreApplication.translate("Device", "set in Preferences"),
    }
    return texts.get(code, code)


def status_text(report: dict[str, Any] | None) -> str:
    """``GPU (CUDA) 28/28 layers``, ``CPU (CUDA unavailable: …)``, ``CPU``, or ``–`` before loading."""
    if not report or not report.get("device"):
        return "–"
    if report["device"] == "cuda":
        return (QCoreApplication.translate("Device", "GPU (CUDA) %1/%2 layers")
                .replace("%1", str(report.get("gpu_layers", 0))).replace("%2", str(report.get("total_layers", 0))))
    reason = str(report.get("reason") or "")
    if reason and reason != "user_setting":
        return QCoreApplication.translate("Device", "CPU (CUDA unavailable: %1)").replace("%1", reason_text(reason))
    return QCoreApplication.translate("Device", "CPU")


def details_text(report: dict[str, Any] | None) -> str:
    """Several lines for a tooltip or Preferences: video memory, layers, why, the CUDA error."""
    if not report or not report.get("device"):
        return ""
    lines = []
    free, total = report.get("vram_free_mib"), report.get("vram_total_mib")
    if free is not None and total is not None:
        lines.append(QCoreApplication.translate("Device", "Video memory: %1 MiB free of %2 MiB (%3), before loading the model")
                     .replace("%1", str(free)).replace("%2", str(total)).replace("%3", str(report.get("gpu_name") or "GPU")))
    elif report.get("reason") != "user_setting":
        lines.append(QCoreApplication.translate("Device", "No GPU video memory found."))
    total_layers = int(report.get("total_layers") or 0)
    if total_layers:
        lines.append(QCoreApplication.translate("Device", "Layers on the GPU: %1 of %2")
                     .replace("%1", str(report.get("gpu_layers", 0))).replace("%2", str(total_layers)))
    reason = str(report.get("reason") or "")
    if reason == "not_enough_vram" and report.get("device") == "cuda":
        lines.append(QCoreApplication.translate("Device", "Not every layer fits in the free video memory; the rest run on the CPU."))
    elif reason == "user_setting":
        lines.append(QCoreApplication.translate("Device", "The number of GPU layers is set in Preferences."))
    elif reason == "no_cuda_build":
        lines.append(QCoreApplication.translate("Device", "This build of llama.cpp has no CUDA support; install the CUDA build to use the GPU."))
    if report.get("fallback_reason"):
        lines.append(QCoreApplication.translate("Device", "CUDA failed to start, so the model runs on the CPU: %1")
                     .replace("%1", str(report["fallback_reason"])))
    return "\n".join(lines)
