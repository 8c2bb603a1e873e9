# C types for compression.py when compiled (docs/compiled.md); the .py stays the source.
import cython

cdef object _interned_get
cdef object _intern
cdef object WireFormatError
cdef Py_ssize_t MAX_NAME_LENGTH

@cython.locals(
    n=Py_ssize_t,
    pos=Py_ssize_t,
    run=Py_ssize_t,
    limit=Py_ssize_t,
    end=Py_ssize_t,
    size=Py_ssize_t,
    length=cython.uint,
    target=Py_ssize_t,
    before=Py_ssize_t,
    parts=list,
    first=bytes,
    wire=bytes,
)
cpdef tuple read_name(bytes data, Py_ssize_t offset, dict cache)
