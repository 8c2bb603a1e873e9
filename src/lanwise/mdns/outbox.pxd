# C types for outbox.py when compiled (docs/compiled.md); the .py stays the source.
import cython

cdef object Datagram
cdef object InterfaceStatistics
cdef object MDNS_IPV4_ENDPOINT
cdef object MDNS_IPV6_ENDPOINT
cdef Py_ssize_t _FROZEN_CACHE_SIZE
cdef Py_ssize_t _PACKED_GROUPS_MAX


cdef class Outbox:
    cdef public list datagrams
    cdef public list multicast_records
    cdef readonly object _stats
    cdef dict _packed
    cdef dict _large
    cdef dict _frozen

    cpdef void send(self, object link, object version, bytes data, object destination)

    @cython.locals(to=int, key=tuple, cached=tuple, datagrams=tuple)
    cpdef void send_frozen_groups(
        self, object link, object version, object groups, object destination=*
    )

    cdef object _interface_stats(self, object index)
