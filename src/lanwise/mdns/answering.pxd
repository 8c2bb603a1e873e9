# C types for answering.py when compiled (docs/compiled.md); the .py stays the source.
# The answer queue, its per-record slots and its plans become extension types.
import cython

from lanwise.dns._slots cimport record_key
from lanwise.mdns.outbox cimport Outbox

cdef object answer_question
cdef object known_answer_suppressed
cdef bint _COMPILED
cdef double _NEVER
cdef Py_ssize_t _PLANS_MAX


cdef class _Slot:
    cdef public object key
    cdef public double last
    cdef public object record
    cdef public double send_at
    cdef public tuple group
    cdef public bint probe_defence


cdef class _Planned:
    cdef public object record
    cdef public tuple extra
    cdef public tuple group
    cdef public _Slot slot
    cdef public bint shared


cdef class AnswerQueue:
    cdef object _rng
    cdef Outbox _outbox
    cdef dict _links
    cdef object _view
    cdef dict _slots
    cdef dict _pending
    cdef dict _plans
    cdef object _plans_generation
    cdef double _earliest
    cdef bint _stale
    cdef public dict _deferred
    cdef object _stats
    cdef dict _legacy
    cdef public bint shares_port

    @cython.locals(slots=dict, slot=_Slot, planned=list, plan=tuple)
    cdef tuple _plan(self, object view, tuple channel, object question)

    @cython.locals(slots=dict, slot=_Slot)
    cdef _Slot _slot(self, tuple channel, object key)

    @cython.locals(
        multicast=list,
        direct=list,
        shared=bint,
        lossy=bint,
        qu=bint,
        planned=_Planned,
        slot=_Slot,
        group=tuple,
        send_at=double,
        pending=dict,
    )
    cpdef void _answer(
        self,
        object link,
        object version,
        object source,
        object questions,
        dict known,
        double now,
        bint unicast,
        bint probe,
        bint delayed=*,
    )

    @cython.locals(have=tuple, extra=tuple, gap=double)
    cdef void _schedule(
        self, dict pending, _Slot slot, object record, tuple group, double send_at, bint probe
    )

    cdef dict _pending_at(self, tuple channel)

    @cython.locals(limit=double, pending=dict, due=list, slot=_Slot)
    cpdef void run(self, double now)

    @cython.locals(earliest=double, items=dict, slot=_Slot)
    cpdef object get_timer(self)

    @cython.locals(pending=dict, slot=_Slot, first=double)
    cdef double _shared_send_time(self, tuple channel, double now)

    @cython.locals(pending=dict, slot=_Slot)
    cpdef void seen_from_another(self, tuple channel, object record, double now)

    @cython.locals(known=dict, truncated=bint)
    cpdef void handle_query(
        self, object message, object source, object link, object version, double now, bint unicast
    )
