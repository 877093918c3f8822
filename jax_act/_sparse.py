"""placeholder: declarations land here"""

from __future__ import annotations

__all__: list[str] = []
