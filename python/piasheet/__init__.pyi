"""Type stubs of piasheet (see the module docstrings)."""
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

import pandas

PathLike = Union[str, os.PathLike[str]]

__version__: str
DEFAULT_MAX_BYTES: int
DEFAULT_TIMEOUT: int
DEFAULT_MAX_MEMORY: int

def worker_path() -> Optional[str]: ...
def extract(
    path_or_bytes: Union[PathLike, bytes, bytearray, memoryview],
    *,
    provenance: bool = ...,
    name: Optional[str] = ...,
    timeout: int = ...,
    max_bytes: int = ...,
    max_memory: Union[int, str] = ...,
) -> Dict[str, Any]: ...
def extract_many(
    paths: Union[PathLike, Iterable[PathLike]],
    jobs: Optional[int] = ...,
    *,
    provenance: bool = ...,
    timeout: int = ...,
    max_bytes: int = ...,
    max_memory: Union[int, str] = ...,
) -> Iterator[Dict[str, Any]]: ...
def read_dataset(folder: PathLike, table: str = ...) -> pandas.DataFrame: ...
def diff(a: Union[Dict[str, Any], PathLike], b: Union[Dict[str, Any], PathLike]) -> List[Dict[str, Any]]: ...
def codebook(kind: str = ...) -> pandas.DataFrame: ...
