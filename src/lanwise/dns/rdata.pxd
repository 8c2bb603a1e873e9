# C types for rdata.py when compiled (docs/compiled.md); the .py stays the source.
import cython

from lanwise.dns.compression cimport read_name
from lanwise.dns.twins cimport finish_as

cdef object _new
cdef object _unpack_srv
cdef object WireFormatError
cdef Py_ssize_t _CACHED_RDATA_MAX

@cython.locals(cache=dict)
cpdef object _decode_a(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)
@cython.locals(cache=dict)
cpdef object _decode_aaaa(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)

@cython.locals(limit=Py_ssize_t)
cdef object _remember(dict cache, bytes key, object rdata)

@cython.locals(after=Py_ssize_t, key=bytes, cache=dict)
cpdef object _decode_name_target(
    object cls, bytes data, Py_ssize_t start, Py_ssize_t end, dict names
)

cpdef object _decode_ptr(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)
cpdef object _decode_cname(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)

@cython.locals(after=Py_ssize_t, key=bytes, cache=dict)
cpdef object _decode_srv(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)

@cython.locals(
    pos=Py_ssize_t, nxt=Py_ssize_t, length=Py_ssize_t, strings=list, small=bint, cache=dict
)
cpdef object _decode_txt(bytes data, Py_ssize_t start, Py_ssize_t end, dict names)

cpdef object _decode_unknown(object rtype, bytes data, Py_ssize_t start, Py_ssize_t end)
