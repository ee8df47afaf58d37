"""A progress bar for long commands (index rebuilds, record imports)."""

import time


class Progress:
    """A one-line progress bar on a terminal; on anything else, a line every 10%."""

    WIDTH = 30

    def __init__(self, out, label, total):
        self.out = out
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.started = time.monotonic()
        self.tty = out is not None and getattr(getattr(out, "_out", out), "isatty", lambda: False)()
        self._last_decile = -1

    def _line(self):
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.WIDTH * min(fraction, 1.0))
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{self.label} [{bar}] {self.done:,}/{self.total:,} {fraction:4.0%} {rate:,.0f}/s"

    def advance(self, count):
        self.done += count
        if self.out is None:
            return
        if self.tty:
            self.out.write("\r" + self._line(), ending="")
            self.out.flush()
        else:
            decile = int(10 * self.done / self.total) if self.total else 10
            if decile != self._last_decile:
                self._last_decile = decile
                self.out.write(self._line())

    def finish(self):
        if self.out is not None and self.tty:
            self.out.write("\r" + self._line())
