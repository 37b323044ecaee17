"""The file storage: keys stay below its folder, writes are atomic, and it is the app's."""

from __future__ import annotations

import os

import pytest

from portal.storage import FileStorage, StoredFileMissing, storage


def test_put_get_exists_delete(tmp_path):
    files = FileStorage(tmp_path / "files")
    assert not files.exists("photos/1/a.jpg")
    files.put("photos/1/a.jpg", b"\xff\xd8 first")
    files.put("photos/1/a.jpg", b"\xff\xd8 second")  # replaces
    assert files.exists("photos/1/a.jpg") and files.get("photos/1/a.jpg") == b"\xff\xd8 second"
    assert (tmp_path / "files" / "photos" / "1" / "a.jpg").read_bytes() == b"\xff\xd8 second"
    files.delete("photos/1/a.jpg")
    files.delete("photos/1/a.jpg")  # deleting twice is harmless
    assert not files.exists("photos/1/a.jpg")
    with pytest.raises(StoredFileMissing):
        files.get("photos/1/a.jpg")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../secret", "photos/../../x", "photos//a.jpg", "photos/./a",
                                 "photos\\a.jpg", "C:/x", "photos/.hidden", "photos/a b.jpg", "x" * 201])
def test_keys_that_could_leave_the_folder_are_refused(tmp_path, key):
    files = FileStorage(tmp_path)
    for call in (lambda: files.put(key, b"x"), lambda: files.get(key), lambda: files.exists(key),
                 lambda: files.delete(key)):
        with pytest.raises(ValueError, match="Bad storage key"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_neither_a_half_file_nor_a_temporary_one(tmp_path, monkeypatch):
    files = FileStorage(tmp_path)
    files.put("photos/1/a.jpg", b"old")

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.put("photos/1/a.jpg", b"new")
    assert files.get("photos/1/a.jpg") == b"old"
    assert sorted(p.name for p in (tmp_path / "photos" / "1").iterdir()) == ["a.jpg"]


def test_the_apps_storage_is_under_its_storage_dir(app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "store")
    storage().put("photos/7/b.png", b"png")
    assert (tmp_path / "store" / "photos" / "7" / "b.png").read_bytes() == b"png"
