"""discover -> read (once) -> parse (worker pool, per-file time limit) -> engine -> gate."""
