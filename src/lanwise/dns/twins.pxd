# C types for twins.py when compiled (docs/compiled.md); the .py stays the source.
cpdef object finish_as(object twin, object cls)
