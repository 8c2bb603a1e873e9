# C types for engine.py when compiled (docs/compiled.md); the .py stays the source.
import cython

from lanwise.mdns.outbox cimport Outbox
from lanwise.mdns.querier cimport Querier
from lanwise.mdns.responder cimport EngineResponder


@cython.final
cdef class _Received:
    cdef public long long packets
    cdef public long long octets
    cdef public long long queries
    cdef public long long responses
    cdef public long long malformed
    cdef public long long off_link
    cdef public long long ignored


@cython.final
cdef class Engine:
    cdef public bint _shares_port
    cdef public object _rng
    cdef public object _events
    cdef public object _stats
    cdef public bint _querier_only
    cdef public Outbox _outbox
    cdef public EngineResponder _responder
    cdef public Querier _querier
    cdef public dict _links
    cdef public dict _received
    cdef public dict _learned
    cdef public list _to_learn
    cdef public object _learn_at
    cdef public dict _parsed
    cdef public bint _closed

    @cython.locals(parsed=dict, counters=_Received, remembered=bint)
    cpdef void _receive(self, object data, object source, object interface, double now, bint unicast)

    @cython.locals(flags=cython.long)
    cdef void _dispatch(self, object message, object source, object link, double now, bint unicast, _Received counters)

    cpdef void handle_timer(self, double now)

    @cython.locals(deadline=object)
    cdef void _service(self, double now)

    @cython.locals(out=list, sent=list)
    cpdef list datagrams_to_send(self, double now)

    @cython.locals(to_learn=list)
    cdef void _note_sent(self, list sent, double now)

    cdef void _learn_sent(self)

    cpdef object get_timer(self)

    cpdef object next_event(self)
