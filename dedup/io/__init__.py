"""Reading documents from files and folders."""

from .readers import DEFAULT_EXTENSIONS, collect_files, decode_bytes, read_document, read_paths

__all__ = ["DEFAULT_EXTENSIONS", "collect_files", "decode_bytes", "read_document", "read_paths"]
