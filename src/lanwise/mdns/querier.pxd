# C types for querier.py when compiled (docs/compiled.md); the .py stays the source.
import cython

from lanwise.dns._slots cimport record_key
from lanwise.mdns.cache cimport RecordCache

cdef bint _COMPILED


@cython.final
cdef class _Schedule:
    cdef public bint answered
    cdef public double earliest
    cdef public bint first
    cdef public tuple key
    cdef public object last_sent
    cdef public double latest
    cdef public dict queries
    cdef public bint unicast


@cython.final
cdef class Querier:
    cdef public object _rng
    cdef public object _events
    cdef public RecordCache cache
    cdef public object _max_packet_size
    cdef public dict _packet_sizes
    cdef public dict _first_deadlines
    cdef public set _interfaces
    cdef public dict _queries
    cdef public dict _expiring
    cdef public dict _schedules
    cdef public dict _active
    cdef public dict _asked_names
    cdef public dict _unicast_asked
    cdef public dict _unicast_repliers
    cdef public dict _last_asked
    cdef public list _reconfirm_sends
    cdef public object _sequence
    cdef public object _deadline_cache
    cdef public bint _deadline_dirty
    cdef public object _stats
    cdef public bint unicast_questions
    cdef public bint send_known_answers

    cpdef bint is_interested(self, object interface, object name, object rtype, object rclass)

    @cython.locals(schedule=_Schedule, records=tuple, unique=list)
    cpdef bint _take_response(self, object message, object interface, double now, object source, bint unicast, bint own)

    @cython.locals(cutoff=cython.double, repliers=dict, asked=dict)
    cdef bint _solicited(self, object answers, object interface, double now, object source)

    @cython.locals(questions=list, known=dict)
    cpdef void _observe_query(self, object message, object interface, double now, bint unicast)

    @cython.locals(schedule=_Schedule)
    cdef void _suppress_duplicate(self, object question, object answers, object interface, double now)

    cpdef object next_event(self)

    @cython.locals(deadline=cython.double, cache_deadline=object)
    cpdef object get_timer(self)

    @cython.locals(openings=dict, schedule=_Schedule, deadline=cython.double, earliest=cython.double, fire=cython.double, last=cython.double, times=list)
    cdef double _schedules_deadline(self)

    @cython.locals(due=dict, recent=cython.double, schedule=_Schedule, packets=list)
    cpdef list handle_timer(self, double now)

    @cython.locals(last=object, gap=cython.double)
    cdef void _mark_sent(self, _Schedule schedule, double when)
