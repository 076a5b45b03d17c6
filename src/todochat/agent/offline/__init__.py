"""The offline model: built-in language understanding that runs with no API key."""

from .model import OfflineModel

__all__ = ["OfflineModel"]
