# C types for builder.py when compiled (docs/compiled.md); the .py stays the source.
# MessageBuilder becomes an extension type: its state is C fields, its internals C calls.
import cython

from lanwise.dns._slots cimport patch_length, put_rdata, put_record_head, write_name

cdef object _pack_header_into
cdef object _pack_question
cdef object _pack_record
cdef object _pack_u16_into
cdef object _pack_srv
cdef tuple _COMPRESSIBLE
cdef Py_ssize_t _QUESTIONS, _ANSWERS, _AUTHORITIES, _ADDITIONALS
cdef bint _COMPILED


cdef class MessageBuilder:
    cdef public object id
    cdef public object flags
    cdef public object max_size
    cdef bytearray _buf
    cdef dict _names
    cdef list _counts
    cdef Py_ssize_t _section

    @cython.locals(mark=Py_ssize_t, names_mark=Py_ssize_t)
    cpdef bint add_question(self, object question)
    cpdef bint add_answer(self, object record)
    cpdef bint add_authority(self, object record)
    cpdef bint add_additional(self, object record)
    cpdef bytes to_wire(self)
    cdef void _enter(self, Py_ssize_t section)
    cdef void _rollback(self, Py_ssize_t mark, Py_ssize_t names_mark)

    @cython.locals(
        buf=bytearray, names=dict, mark=Py_ssize_t, names_mark=Py_ssize_t, start=Py_ssize_t
    )
    cdef bint _add_record(self, object record, Py_ssize_t section)
