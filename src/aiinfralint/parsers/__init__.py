"""Parsers: file bytes to model objects (or a parse problem); no rule logic here."""
