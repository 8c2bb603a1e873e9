# C types for responder.py when compiled (docs/compiled.md); the .py stays the source.
# The responder becomes an extension type: its state in C fields (public: the engine and
# the tests read them), the per-packet calls into its answer queue C calls.
import cython

from lanwise.mdns.answering cimport AnswerQueue


cdef class EngineResponder:
    cdef public object _rng
    cdef public bint _publish_addresses
    cdef public bint _shares_port
    cdef public bint _reverse_ptrs
    cdef public object _emit
    cdef public object _stats
    cdef public object host
    cdef public object _published
    cdef public dict _links
    cdef public dict _probe_round
    cdef public dict _scheduled
    cdef public dict _prepare_at
    cdef public object _conflicts
    cdef public object _outbox
    cdef public AnswerQueue _answers

    cpdef object get_timer(self)

    cpdef void service(self, double now)

    @cython.locals(channel=tuple, pending=dict, probed_names=dict, owners=dict)
    cpdef void handle_response(self, object message, object link, object version, double now)

    cpdef void handle_query(
        self, object message, object source, object link, object version, double now, bint unicast
    )
