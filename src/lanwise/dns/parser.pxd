# C types for parser.py when compiled (docs/compiled.md); the .py stays the source.
import cython

from lanwise.dns.compression cimport _c_cached_rdata, read_name
from lanwise.dns.rdata cimport (
    _decode_a,
    _decode_ptr,
    _decode_srv,
    _decode_txt,
    _decode_unknown,
)
from lanwise.dns.twins cimport finish_as
from lanwise.dns._slots cimport new_message, new_question, new_record

cdef object _new
cdef object _decoders_get
cdef object _unpack_header
cdef object _unpack_question
cdef object _unpack_record
cdef object _unpack_pointer_record
cdef type Question
cdef type Record
cdef type Message
cdef bint _COMPILED
cdef dict _a_cache, _aaaa_cache, _txt_cache, _ptr_cache, _srv_cache, _interned
cdef object _intern
cdef object WireFormatError

@cython.locals(
    n=Py_ssize_t,
    pos=Py_ssize_t,
    end=Py_ssize_t,
    target=Py_ssize_t,
    rdlength=Py_ssize_t,
    rtype=cython.uint,
    rclass=cython.uint,
    ttl=cython.ulong,
    qtype=cython.uint,
    qclass=cython.uint,
    ident=cython.uint,
    flags=cython.uint,
    flush=bint,
    count=Py_ssize_t,
    qdcount=Py_ssize_t,
    ancount=Py_ssize_t,
    nscount=Py_ssize_t,
    arcount=Py_ssize_t,
    names=dict,
    questions=list,
    sections=list,
    records=list,
)
cdef object _parse(bytes data)
