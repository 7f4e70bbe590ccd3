"""Convert: export a sentence-transformers model to ONNX (float32, and int8 by dynamic quantization).

Done once per machine and model, then cached: afterwards embedding needs only onnxruntime
and the tokenizer, not torch. Mean pooling and L2 normalisation are part of the exported
graph, so the ONNX model maps token ids straight to the vector the torch model would give.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

from rag.embed import quiet_progress
from rag.errors import ConfigError

log = logging.getLogger("rag")
CONVERT_VERSION = "1"  # bump when the export or quantization recipe changes
FLOAT32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_model(model_dir: Path, cache_dir: Path, int8: bool) -> Path:
    """The ONNX file for the model in `model_dir`, exporting it into `cache_dir` on first use.

    Raises:
        ConfigError: the model does not use mean pooling (only that is exported), or the
            export needs packages that are missing.
    """
    folder = cache_dir / "onnx" / _fingerprint(model_dir)
    target = folder / (INT8_FILE if int8 else FLOAT32_FILE)
    if target.exists():
        return target
    _check_pooling(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    float32 = folder / FLOAT32_FILE
    if not float32.exists():
        log.info("exporting %s to ONNX (once per machine) into %s", model_dir, folder)
        _export(model_dir, float32)
    if int8:
        _quantize(float32, target)
    return target


def _fingerprint(model_dir: Path) -> str:
    """Names the model's files by size and content of their head: cheap, and changes when the weights do."""
    digest = hashlib.sha256(CONVERT_VERSION.encode())
    for name in sorted(os.listdir(model_dir)):
        path = model_dir / name
        if path.is_file():
            with open(path, "rb") as handle:
                digest.update(f"{name}:{path.stat().st_size}:".encode() + handle.read(1 << 20))
    return digest.hexdigest()[:12]


def _check_pooling(model_dir: Path) -> None:
    try:
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        pooling = {}
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(
            f"The model in {model_dir} does not use mean pooling, the only kind exported to ONNX. "
            "Set RAG_EMBED_RUNTIME=torch to run it with sentence-transformers."
        )


def _export(model_dir: Path, target: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ConfigError(f"Exporting the embedding model to ONNX needs torch and transformers ({exc}).") from None

    class MeanPooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    # "eager" attention: the default (sdpa) traces a mask shortcut that is wrong for other shapes
    with quiet_progress(hf_logging):
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()
    sample = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: the axes are declared dynamic below
        torch.onnx.export(
            MeanPooled(model),
            (sample, (sample > 0).long(), torch.zeros_like(sample)),
            str(tmp),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in INPUTS}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)  # another process exporting at the same time writes the same file


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the weight matrices, per output channel (per-tensor loses too much)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ConfigError(f"Quantizing the embedding model needs the onnx package ({exc}).") from None
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    root = logging.getLogger()
    root.addFilter(_not_from_onnxruntime)  # the quantizer logs advice to the root logger; only for this call
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(_not_from_onnxruntime)
    os.replace(tmp, target)


def _not_from_onnxruntime(record: logging.LogRecord) -> bool:
    """A log filter that drops what onnxruntime's own code logs."""
    return "onnxruntime" not in Path(record.pathname).parts
