"""Caches kept between runs: a store (no symlinks, no pickle), the parse cache, run replay."""
