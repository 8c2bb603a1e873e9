# C types for cache.py when compiled (docs/compiled.md); the .py stays the source.
import cython

cdef class _Watch
cdef class _Chain

@cython.final
cdef class _Entry:
    # Laid out by size (C fields keep their declaration order): objects, doubles, then
    # the small counters and the flags, a byte each, packed together: 160 bytes, 176
    # with the garbage collector's header, a pymalloc size class (bench/memory.py).
    cdef public object record
    cdef public tuple rrset
    cdef public object source
    cdef public object pending
    cdef public object snapshot
    cdef public object version
    cdef public _Watch watch
    cdef public _Entry older
    cdef public _Entry newer
    cdef public double received
    cdef public double expires
    cdef public double refresh_at
    cdef public double dispute_deadline
    cdef public long long added
    cdef public long long order
    cdef public int refresh_step
    cdef public int poof_exempt
    cdef public int poof_mark
    cdef public unsigned char kept
    cdef public unsigned char own
    cdef public unsigned char removed
    cdef public unsigned char superseded


@cython.final
cdef class _Watch:
    cdef public long long count
    cdef public dict groups
    cdef public bint live

    @cython.locals(count=cython.longlong, group=dict)
    cpdef void join(self, _Entry entry)

    @cython.locals(mark=cython.longlong, group=dict)
    cpdef void leave(self, _Entry entry)


@cython.final
cdef class _Chain:
    cdef public _Entry head
    cdef public _Entry tail
    cdef public Py_ssize_t size

    @cython.locals(found=list, entry=_Entry)
    cpdef list entries(self)

    @cython.locals(tail=_Entry)
    cpdef void append(self, _Entry entry)

    @cython.locals(head=_Entry)
    cpdef void prepend(self, _Entry entry)

    @cython.locals(older=_Entry, newer=_Entry)
    cpdef void unlink(self, _Entry entry)

    @cython.locals(older=_Entry, newer=_Entry, tail=_Entry)
    cpdef void move_to_end(self, _Entry entry)

    @cython.locals(entry=_Entry, newer=_Entry)
    cpdef void clear(self)


@cython.final
cdef class RecordCache:
    cdef public object _rng
    cdef public object _max_records
    cdef public object _max_wanted
    cdef public object _interest
    cdef public object _on_rrset_emptied
    cdef public object _published
    cdef public object events
    cdef public _Chain _lru
    cdef public _Chain _kept
    cdef public bint _overflow_armed
    cdef public dict _rrsets
    cdef public dict _names
    cdef public dict _per_interface
    cdef public list _heap
    cdef public object _sequence
    cdef public dict _watches
    cdef public list _poof_heap
    cdef public object _stats
    cdef public long long _revision

    @cython.locals(
        keyed=list,
        unique=dict,
        record=object,
        condemned=dict,
        rrsets=dict,
        members=object,
        held=object,
        rdata=object,
        stored=object,
        fresh=list,
        doomed=list,
        entry=_Entry,
        watch=_Watch,
        ttl=cython.longlong,
        refreshed=cython.Py_ssize_t,
        refresh_at=cython.double,
        first_fraction=cython.double,
        rrset_key=tuple,
        queued=cython.double,
        lru=_Chain,
        kept=_Chain,
    )
    cpdef list _add_response(self, object records, object interface, double now, object source, bint own)

    @cython.locals(doomed=list, entry=_Entry, cutoff=cython.double, deadline=cython.double)
    cdef list _flush_rrset(self, object members, set fresh, double now, bint own)

    @cython.locals(
        old=_Entry,
        watch=_Watch,
        wanted=bint,
        refresh_at=cython.double,
        when=cython.double,
        token=object,
        heap=list,
        types=tuple,
        deadline=cython.double,
    )
    cdef void _upsert(self, object record, tuple rrset_key, object members, _Entry entry, double now, object source, dict condemned, bint own)

    @cython.locals(watch=_Watch, rescued=bint)
    cdef void _refresh(self, _Entry entry, object record, double now, object source)

    @cython.locals(
        rrsets=dict,
        asked=dict,
        members=object,
        entry=_Entry,
        watch=_Watch,
        watches=dict,
        asked_watches=list,
        group=dict,
        deadline=cython.double,
        opened=cython.longlong,
        mark=cython.longlong,
    )
    cpdef void observe_query(self, object questions, object known_answers, object interface, double now)

    @cython.locals(group=dict, entry=_Entry, count=cython.longlong)
    cdef void _poof_check(self, _Watch watch, long long mark, double now)

    @cython.locals(members=object, entry=_Entry)
    cdef list _valid(self, object interface, object name, object rtype, object rclass, double now)

    @cython.locals(members=object, types=tuple, found=list)
    cdef list _matching(self, object interface, object name, object rtype, object rclass)

    @cython.locals(heap=list, poof=list, entry=_Entry, token=object)
    cpdef object next_deadline(self)

    @cython.locals(
        heap=list,
        refresh=dict,
        entry=_Entry,
        poof=list,
        watch=_Watch,
        token=object,
    )
    cpdef list handle_timer(self, double now)

    cdef void _renew_own(self, _Entry entry, double now)

    cpdef list _entries(self)

    cdef bint _wanted(self, _Entry entry)

    cdef void _keep(self, _Entry entry)

    @cython.locals(head=_Entry, entry=_Entry, lru=_Chain, kept=_Chain)
    cdef void _make_room(self, double now)

    @cython.locals(head=_Entry, entry=_Entry, counts=dict, victims=list, kept=_Chain)
    cdef void _make_room_wanted(self, double now)

    @cython.locals(members=object, emptied=bint, watch=_Watch, left=cython.Py_ssize_t, stats=object, types=tuple, kept=_Chain)
    cdef void _remove(self, _Entry entry, object reason, double now, bint silent=*)

    @cython.locals(step=cython.Py_ssize_t, fraction=cython.double)
    cdef void _plan_refresh(self, _Entry entry)

    @cython.locals(when=cython.double, queued=cython.double, token=object, heap=list)
    cdef void _schedule(self, _Entry entry)

    @cython.locals(heap=list, entry=_Entry, token=object)
    cdef void _compact(self)


@cython.locals(held=object)
cdef _Entry _member(object members, object rdata)

cdef double _next_time(_Entry entry)
