# C types for rdata.py when compiled (docs/compiled.md); the .py stays the source.
import cython

from lanwise.dns.compression cimport read_name
from lanwise.dns.twins cimport finish_as

cdef extern from *:
    """
    /* Rdata values hold octets, integers, names and tuples of them: no reference cycle
       can pass through one, so a remembered one need not be tracked by the collector. */
    static void lw_untrack(PyObject *o) {
        if (PyObject_GC_IsTracked(o)) PyObject_GC_UnTrack(o);
    }
    """
    void _c_untrack "lw_untrack"(object o)

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


# Compiled, the hash slots of A, AAAA, TXT, PTR, CNAME and SRV read their slots in C:
# the same values as their __hash__ methods, without a Python-level call (record keys
# are hashed on every packet the engine takes in). Only these classes themselves: a
# subclass made later finds the Python __hash__ and keeps the generic slot.
cdef extern from *:
    """
    #include "structmember.h"

    static Py_ssize_t lw_rd_a_wire = -1, lw_rd_aaaa_wire = -1, lw_rd_txt_wire = -1;
    static Py_ssize_t lw_rd_ptr_target = -1, lw_rd_cname_target = -1;
    static Py_ssize_t lw_rd_srv[4] = {-1, -1, -1, -1};
    static Py_ssize_t lw_rd_name_key = -1;
    static PyTypeObject *lw_rd_name_type = NULL;

    #define LW_RD_SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

    static Py_ssize_t lw_rd_offset(PyObject *cls, const char *name) {
        PyObject *d = PyDict_GetItemString(((PyTypeObject *)cls)->tp_dict, name);
        PyMemberDef *m;
        if (d == NULL || Py_TYPE(d) != &PyMemberDescr_Type
            || (m = ((PyMemberDescrObject *)d)->d_member)->type != T_OBJECT_EX) {
            PyErr_Format(PyExc_TypeError, "%s.%s is not an object slot",
                         ((PyTypeObject *)cls)->tp_name, name);
            return -1;
        }
        return m->offset;
    }

    static PyObject *lw_rd_get(PyObject *o, Py_ssize_t off, const char *name) {
        PyObject *v = LW_RD_SLOT(o, off);
        if (v == NULL) {
            PyErr_SetString(PyExc_AttributeError, name);
            return NULL;
        }
        return v;  /* borrowed */
    }

    static Py_hash_t lw_rd_hash_at(PyObject *o, Py_ssize_t off) {
        PyObject *v = lw_rd_get(o, off, "_wire");
        return v == NULL ? -1 : PyObject_Hash(v);
    }
    static Py_hash_t lw_rd_hash_a(PyObject *o) { return lw_rd_hash_at(o, lw_rd_a_wire); }
    static Py_hash_t lw_rd_hash_aaaa(PyObject *o) { return lw_rd_hash_at(o, lw_rd_aaaa_wire); }
    static Py_hash_t lw_rd_hash_txt(PyObject *o) { return lw_rd_hash_at(o, lw_rd_txt_wire); }

    /* target._key as a new reference: the slot of an exact Name, else getattr. */
    static PyObject *lw_rd_target_key(PyObject *target) {
        PyObject *key;
        if (Py_TYPE(target) == lw_rd_name_type && (key = LW_RD_SLOT(target, lw_rd_name_key)) != NULL) {
            Py_INCREF(key);
            return key;
        }
        return PyObject_GetAttrString(target, "_key");
    }

    static Py_hash_t lw_rd_hash_target_at(PyObject *o, Py_ssize_t off) {
        PyObject *target = lw_rd_get(o, off, "target"), *key;
        Py_hash_t h;
        if (target == NULL || (key = lw_rd_target_key(target)) == NULL) return -1;
        h = PyObject_Hash(key);
        Py_DECREF(key);
        return h;
    }
    static Py_hash_t lw_rd_hash_ptr(PyObject *o) { return lw_rd_hash_target_at(o, lw_rd_ptr_target); }
    static Py_hash_t lw_rd_hash_cname(PyObject *o) { return lw_rd_hash_target_at(o, lw_rd_cname_target); }

    /* hash((priority, weight, port, target._key)), as SRV.__hash__. */
    static Py_hash_t lw_rd_hash_srv(PyObject *o) {
        PyObject *t, *v;
        Py_hash_t h;
        int i;
        if ((t = PyTuple_New(4)) == NULL) return -1;
        for (i = 0; i < 3; i++) {
            if ((v = lw_rd_get(o, lw_rd_srv[i], "priority, weight or port")) == NULL) {
                Py_DECREF(t);
                return -1;
            }
            Py_INCREF(v);
            PyTuple_SET_ITEM(t, i, v);
        }
        if ((v = lw_rd_get(o, lw_rd_srv[3], "target")) == NULL
            || (v = lw_rd_target_key(v)) == NULL) {
            Py_DECREF(t);
            return -1;
        }
        PyTuple_SET_ITEM(t, 3, v);
        h = PyObject_Hash(t);
        Py_DECREF(t);
        return h;
    }

    static int lw_rd_set_hash(PyObject *cls, hashfunc f) {
        ((PyTypeObject *)cls)->tp_hash = f;
        PyType_Modified((PyTypeObject *)cls);
        return 0;
    }

    static int lw_rdata_install_hashes(PyObject *a, PyObject *aaaa, PyObject *txt, PyObject *ptr,
                                       PyObject *cname, PyObject *srv, PyObject *name) {
        static const char *const srv_names[] = {"priority", "weight", "port", "target"};
        int i;
        if ((lw_rd_a_wire = lw_rd_offset(a, "_wire")) < 0
            || (lw_rd_aaaa_wire = lw_rd_offset(aaaa, "_wire")) < 0
            || (lw_rd_txt_wire = lw_rd_offset(txt, "_wire")) < 0
            || (lw_rd_ptr_target = lw_rd_offset(ptr, "target")) < 0
            || (lw_rd_cname_target = lw_rd_offset(cname, "target")) < 0
            || (lw_rd_name_key = lw_rd_offset(name, "_key")) < 0) return -1;
        for (i = 0; i < 4; i++) {
            if ((lw_rd_srv[i] = lw_rd_offset(srv, srv_names[i])) < 0) return -1;
        }
        Py_INCREF(name);
        lw_rd_name_type = (PyTypeObject *)name;
        lw_rd_set_hash(a, lw_rd_hash_a);
        lw_rd_set_hash(aaaa, lw_rd_hash_aaaa);
        lw_rd_set_hash(txt, lw_rd_hash_txt);
        lw_rd_set_hash(ptr, lw_rd_hash_ptr);
        lw_rd_set_hash(cname, lw_rd_hash_cname);
        lw_rd_set_hash(srv, lw_rd_hash_srv);
        return 0;
    }
    """
    int _c_install_hashes "lw_rdata_install_hashes"(
        object a, object aaaa, object txt, object ptr, object cname, object srv, object name
    ) except -1
