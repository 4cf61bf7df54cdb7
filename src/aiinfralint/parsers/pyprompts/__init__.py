"""Python code that builds prompts, read from the standard library's `ast` (never executed).

* `source`: character positions, code of nodes and string tokens re-read from the text;
* `scope`: the names a prompt can use (module constants, locals, helper functions);
* `evaluate`: string-building expressions -> `Piece`s of text and slots, through one lookup;
* `sites`: which calls and message forms are prompt sites -> `PromptTemplate`s.
"""
