# C types for compression.py when compiled (docs/compiled.md); the .py stays the source.
import cython

cdef extern from *:
    """
    #include <string.h>
    #include "structmember.h"

    /* Where a Name keeps its wire form: looked up from the first Name met. */
    static PyTypeObject *lw_wire_type;
    static Py_ssize_t lw_wire_offset;

    static PyObject *lw_name_wire(PyObject *name) {  /* new reference */
        PyObject *w;
        if (lw_wire_type == NULL) {
            PyObject *d = PyDict_GetItemString(Py_TYPE(name)->tp_dict, "_wire");
            if (d != NULL && Py_TYPE(d) == &PyMemberDescr_Type
                && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX) {
                lw_wire_offset = ((PyMemberDescrObject *)d)->d_member->offset;
                Py_INCREF(Py_TYPE(name));
                lw_wire_type = Py_TYPE(name);
            }
        }
        if (Py_TYPE(name) == lw_wire_type) {
            w = *(PyObject **)((char *)name + lw_wire_offset);
            if (w != NULL) {
                Py_INCREF(w);
                return w;
            }
        }
        return PyObject_GetAttrString(name, "_wire");
    }

    static PyObject *lw_intern(PyObject *interned, PyObject *intern, PyObject *wire) {
        PyObject *name = PyDict_GetItemWithError(interned, wire);
        if (name != NULL) {
            Py_INCREF(name);
            return name;
        }
        if (PyErr_Occurred()) return NULL;
        name = PyObject_CallOneArg(intern, wire);
        /* A Name holds only octets, text and tuples of them: it can be in no reference
           cycle, so the collector need not track it (CPython untracks such tuples and
           dicts itself). Fewer tracked survivors make each collection cheaper when a
           burst fills the cache (docs/compiled.md). */
        if (name != NULL && PyObject_GC_IsTracked(name)) PyObject_GC_UnTrack(name);
        return name;
    }

    static PyObject *lw_pair(PyObject *name, Py_ssize_t end) {  /* (name, end) */
        PyObject *pair, *at = PyLong_FromSsize_t(end);
        if (at == NULL) return NULL;
        if ((pair = PyTuple_New(2)) == NULL) {
            Py_DECREF(at);
            return NULL;
        }
        Py_INCREF(name);
        PyTuple_SET_ITEM(pair, 0, name);
        PyTuple_SET_ITEM(pair, 1, at);
        return pair;
    }

    #define LW_MAX_RUNS 64

    /* read_name for a well-formed name: the same walk and pointer rules as
       compression.py, with the wire form assembled in one allocation. Any fault (or
       a name of more than LW_MAX_RUNS jumps) gives None before anything is cached,
       and compression.py reads the name again to raise the right error. It caches
       the name at its own offset only, not the suffixes reached through pointers
       (which compression.py also enters): here walking a suffix again costs less
       than making and interning its Name on the chance that another pointer needs it. */
    static PyObject *lw_read_name(PyObject *data, Py_ssize_t offset, PyObject *cache,
                                  PyObject *interned, PyObject *intern) {
        const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
        Py_ssize_t n = PyBytes_GET_SIZE(data);
        Py_ssize_t pos = offset, run = offset, limit = offset, end = 0, size = 0, total;
        Py_ssize_t seg_start[LW_MAX_RUNS + 1], seg_len[LW_MAX_RUNS + 1];
        int nseg = 0, npend = 0, i;
        char *out;
        PyObject *tail = NULL, *tail_wire = NULL, *wire = NULL, *name = NULL, *key, *result = NULL;
        if (offset < 0) Py_RETURN_NONE;
        for (;;) {
            unsigned int length;
            Py_ssize_t target;
            if (pos >= n) Py_RETURN_NONE;
            length = d[pos];
            if (length == 0) {
                seg_start[nseg] = run;
                seg_len[nseg++] = pos + 1 - run;
                size += pos + 1 - run;
                if (!end) end = pos + 1;
                break;
            }
            if (length < 0x40) {
                pos += length + 1;
                if (pos - run + size >= 255) Py_RETURN_NONE;
                continue;
            }
            if (length < 0xC0 || pos + 1 >= n) Py_RETURN_NONE;
            target = ((Py_ssize_t)(length & 0x3F) << 8) | d[pos + 1];
            if (target >= limit || npend >= LW_MAX_RUNS) Py_RETURN_NONE;
            if (run < pos) {
                seg_start[nseg] = run;
                seg_len[nseg++] = pos - run;
                size += pos - run;
            }
            if (!end) end = pos + 2;
            if ((key = PyLong_FromSsize_t(target)) == NULL) return NULL;
            tail = PyDict_GetItemWithError(cache, key);
            Py_DECREF(key);
            if (tail != NULL) break;
            if (PyErr_Occurred()) return NULL;
            npend++;
            limit = pos = run = target;
        }
        if (tail != NULL) {
            if (nseg == 0) return lw_pair(tail, end);
            if ((tail_wire = lw_name_wire(tail)) == NULL) return NULL;
            if (!PyBytes_Check(tail_wire)) {
                Py_DECREF(tail_wire);
                Py_RETURN_NONE;
            }
        }
        total = size + (tail_wire != NULL ? PyBytes_GET_SIZE(tail_wire) : 0);
        if (total > 255) {
            Py_XDECREF(tail_wire);
            Py_RETURN_NONE;
        }
        if ((wire = PyBytes_FromStringAndSize(NULL, total)) == NULL) goto done;
        out = PyBytes_AS_STRING(wire);
        for (i = 0; i < nseg; i++) {
            memcpy(out, d + seg_start[i], (size_t)seg_len[i]);
            out += seg_len[i];
        }
        if (tail_wire != NULL)
            memcpy(out, PyBytes_AS_STRING(tail_wire), (size_t)PyBytes_GET_SIZE(tail_wire));
        if ((name = lw_intern(interned, intern, wire)) == NULL) goto done;
        if ((key = PyLong_FromSsize_t(offset)) == NULL) goto done;
        if (PyDict_SetDefault(cache, key, name) == NULL) {
            Py_DECREF(key);
            goto done;
        }
        Py_DECREF(key);
        result = lw_pair(name, end);
      done:
        Py_XDECREF(tail_wire);
        Py_XDECREF(wire);
        Py_XDECREF(name);
        return result;
    }
    /* The rdata of an A, AAAA, TXT, PTR or SRV record when the rdata module's cache
       (rdata.py: keys are the exact octets, names in their uncompressed wire form)
       already holds it; None otherwise, and for anything malformed: the parser then
       calls the type's decoder, which checks, fills the cache and raises. */
    static PyObject *lw_cached_rdata(unsigned int rtype, PyObject *data, Py_ssize_t start,
                                     Py_ssize_t end, PyObject *names, PyObject *a_cache,
                                     PyObject *aaaa_cache, PyObject *txt_cache,
                                     PyObject *ptr_cache, PyObject *srv_cache,
                                     PyObject *interned, PyObject *intern) {
        PyObject *cache, *key = NULL, *found, *read = NULL, *wire = NULL;
        Py_ssize_t n = PyBytes_GET_SIZE(data), length = end - start;
        const char *d = PyBytes_AS_STRING(data);
        if (start < 0 || end > n || length < 0) Py_RETURN_NONE;
        if (rtype == 1 || rtype == 28 || rtype == 16) {
            if (rtype == 1) {
                if (length != 4) Py_RETURN_NONE;
                cache = a_cache;
            } else if (rtype == 28) {
                if (length != 16) Py_RETURN_NONE;
                cache = aaaa_cache;
            } else {
                if (length > 256) Py_RETURN_NONE;  /* rdata.py's _CACHED_RDATA_MAX */
                cache = txt_cache;
            }
            if ((key = PyBytes_FromStringAndSize(d + start, length)) == NULL) return NULL;
        } else if (rtype == 12 || rtype == 33) {
            Py_ssize_t name_at = rtype == 12 ? start : start + 6;
            if (rtype == 33 && length < 7) Py_RETURN_NONE;
            read = lw_read_name(data, name_at, names, interned, intern);
            if (read == NULL || read == Py_None) return read;
            if (PyLong_AsSsize_t(PyTuple_GET_ITEM(read, 1)) != end) {
                Py_DECREF(read);
                if (PyErr_Occurred()) return NULL;
                Py_RETURN_NONE;
            }
            wire = lw_name_wire(PyTuple_GET_ITEM(read, 0));
            Py_DECREF(read);
            if (wire == NULL) return NULL;
            if (!PyBytes_Check(wire)) {
                Py_DECREF(wire);
                Py_RETURN_NONE;
            }
            if (rtype == 12) {
                cache = ptr_cache;
                key = wire;
                wire = NULL;
            } else {
                cache = srv_cache;
                key = PyBytes_FromStringAndSize(NULL, 6 + PyBytes_GET_SIZE(wire));
                if (key != NULL) {
                    memcpy(PyBytes_AS_STRING(key), d + start, 6);
                    memcpy(PyBytes_AS_STRING(key) + 6, PyBytes_AS_STRING(wire), (size_t)PyBytes_GET_SIZE(wire));
                }
                Py_DECREF(wire);
                if (key == NULL) return NULL;
            }
        } else {
            Py_RETURN_NONE;
        }
        found = PyDict_GetItemWithError(cache, key);
        Py_DECREF(key);
        if (found == NULL) {
            if (PyErr_Occurred()) return NULL;
            Py_RETURN_NONE;
        }
        Py_INCREF(found);
        return found;
    }
    """
    object _c_read_name "lw_read_name"(
        bytes data, Py_ssize_t offset, dict cache, dict interned, object intern
    )
    object _c_cached_rdata "lw_cached_rdata"(
        unsigned int rtype,
        bytes data,
        Py_ssize_t start,
        Py_ssize_t end,
        dict names,
        dict a_cache,
        dict aaaa_cache,
        dict txt_cache,
        dict ptr_cache,
        dict srv_cache,
        dict interned,
        object intern,
    )

cdef bint _COMPILED

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
