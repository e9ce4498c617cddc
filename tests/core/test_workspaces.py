"""Workspaces: create, list, rename, delete, name validation, the inter-process lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import InvalidWorkspaceName, WorkspaceExists, WorkspaceLocked, WorkspaceNotFound
from core.workspace import validate_name


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", "..", ".hidden", "", "   ", "x" * 65, "bad\x00name", "c:d"])
def test_bad_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidWorkspaceName):
        validate_name(name)


@pytest.mark.parametrize("name", ["reports", "年度报告 2024", "Q3-finance_v2"])
def test_good_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


def test_create_list_rename_delete(fake_engine, data_dir: Path) -> None:
    fake_engine.create_workspace("alpha")
    fake_engine.create_workspace("年度报告")
    assert [w.name for w in fake_engine.list_workspaces()] == ["alpha", "年度报告"]
    with pytest.raises(WorkspaceExists):
        fake_engine.create_workspace("alpha")
    fake_engine.rename_workspace("alpha", "beta")
    assert [w.name for w in fake_engine.list_workspaces()] == ["beta", "年度报告"]
    fake_engine.delete_workspace("beta")
    assert [w.name for w in fake_engine.list_workspaces()] == ["年度报告"]
    assert not (data_dir / "workspaces" / "beta").exists()
    with pytest.raises(WorkspaceNotFound):
        fake_engine.documents("beta")


def test_path_traversal_cannot_escape(fake_engine, data_dir: Path) -> None:
    with pytest.raises(InvalidWorkspaceName):
        fake_engine.create_workspace("../outside")
    with pytest.raises(InvalidWorkspaceName):
        fake_engine.delete_workspace("../../etc")
    assert not (data_dir / "outside").exists()


def test_second_process_cannot_open_a_workspace_in_use(fake_engine, data_dir: Path) -> None:
    fake_engine.create_workspace("shared")
    fake_engine.documents("shared")  # opens it and takes the lock
    code = (
        "import sys\n"
        "from core.workspace import WorkspaceFolder\n"
        "from core.errors import WorkspaceLocked\n"
        f"root = {str(data_dir / 'workspaces')!r}\n"
        "try:\n"
        "    WorkspaceFolder.open_existing(__import__('pathlib').Path(root), 'shared')\n"
        "except WorkspaceLocked as e:\n"
        "    print('LOCKED', e); sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "another Wenku process" in result.stdout


def test_lock_is_released_on_close(fake_engine, data_dir: Path) -> None:
    from core.workspace import WorkspaceFolder

    fake_engine.create_workspace("w")
    fake_engine.documents("w")
    fake_engine.close()
    folder = WorkspaceFolder.open_existing(data_dir / "workspaces", "w")
    folder.close()


def test_same_process_second_open_is_refused(fake_engine, data_dir: Path) -> None:
    from core.workspace import WorkspaceFolder

    fake_engine.create_workspace("w")
    fake_engine.documents("w")
    with pytest.raises(WorkspaceLocked):
        WorkspaceFolder.open_existing(data_dir / "workspaces", "w")
