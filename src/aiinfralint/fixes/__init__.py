"""Mechanical repairs of findings: each fixer turns a finding and its file's text into a `Fix`.

Fixers never re-dump a document: they locate nodes with ruamel.yaml's composer (exact line and
column of every node) and return the smallest text edits, so comments, quoting, key order,
indentation and the other documents of a file stay byte-identical. The pipeline applies them.
"""
