"""A least-recently-used cache bounded by the size of what it holds, for data decoded from index segments.

A segment never changes once written, so what is decoded from it stays true
for as long as the segment exists, through every later generation of the
index that keeps it. Keys name the segment; a segment that a merge or a
rebuild removed is simply never asked for again and ages out.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class SizedCache:
    """Holds entries until their estimated sizes add up to more than ``limit_bytes``; 0 holds nothing."""

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Keep ``value``, dropping the least recently used entries to make room; a value larger
        than the whole limit is not kept (it would push out everything else)."""
        if size > self.limit_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= previous[1]
            self._entries[key] = (value, size)
            self.size += size
            while self.size > self.limit_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped
