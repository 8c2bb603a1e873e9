# C for the compiled codec: build the frozen slotted value classes (Question,
# Record, Message) by writing their slots, and write records into a message by
# reading them. _slots.py calls these C functions (the _c_* names) when
# compiled, and does the same in Python otherwise.

cdef extern from *:
    """
    #include <string.h>
    #include "structmember.h"

    /* Where each named slot of a class lives in its instances: looked up once
       from the class's member descriptors, and checked to be object slots. */
    typedef struct { PyTypeObject *tp; Py_ssize_t off[8]; } lw_layout;

    static int lw_layout_of(lw_layout *l, PyTypeObject *tp, const char *const *names, int n) {
        int i;
        for (i = 0; i < n; i++) {
            PyObject *d = PyDict_GetItemString(tp->tp_dict, names[i]);
            PyMemberDef *m;
            if (d == NULL || Py_TYPE(d) != &PyMemberDescr_Type) {
                PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", tp->tp_name, names[i]);
                return -1;
            }
            m = ((PyMemberDescrObject *)d)->d_member;
            if (m->type != T_OBJECT_EX) {
                PyErr_Format(PyExc_TypeError, "%s.%s is not an object slot", tp->tp_name, names[i]);
                return -1;
            }
            l->off[i] = m->offset;
        }
        Py_INCREF(tp);
        l->tp = tp;
        return 0;
    }

    #define LW_SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

    /* A new instance of l->tp with every slot filled (the instance is fresh, so the
       slots are NULL: no old value to release). */
    static PyObject *lw_fill(lw_layout *l, PyObject **values, int n) {
        int i;
        PyObject *o = l->tp->tp_alloc(l->tp, 0);
        if (o == NULL) return NULL;
        for (i = 0; i < n; i++) {
            Py_INCREF(values[i]);
            LW_SLOT(o, l->off[i]) = values[i];
        }
        /* Questions, records and messages are frozen values of names, integers, rdata
           and tuples of them: never in a reference cycle, so left out of the collector's
           lists (as CPython does for such tuples and dicts). */
        PyObject_GC_UnTrack(o);
        return o;
    }

    static const char *const lw_question_names[] = {"name", "qtype", "qclass", "unicast_response"};
    static const char *const lw_record_names[] = {"name", "rtype", "rclass", "ttl", "rdata", "cache_flush"};
    static const char *const lw_message_names[] = {"id", "flags", "questions", "answers", "authorities", "additionals"};
    static lw_layout lw_question_layout, lw_record_layout, lw_message_layout;

    static PyObject *lw_new_question(PyTypeObject *tp, PyObject *a, PyObject *b, PyObject *c, PyObject *d) {
        PyObject *v[4] = {a, b, c, d};
        if (lw_question_layout.tp != tp && lw_layout_of(&lw_question_layout, tp, lw_question_names, 4) < 0) return NULL;
        return lw_fill(&lw_question_layout, v, 4);
    }

    static PyObject *lw_new_record(PyTypeObject *tp, PyObject *a, PyObject *b, PyObject *c,
                                   PyObject *d, PyObject *e, PyObject *f) {
        PyObject *v[6] = {a, b, c, d, e, f};
        if (lw_record_layout.tp != tp && lw_layout_of(&lw_record_layout, tp, lw_record_names, 6) < 0) return NULL;
        return lw_fill(&lw_record_layout, v, 6);
    }

    static PyObject *lw_new_message(PyTypeObject *tp, PyObject *a, PyObject *b, PyObject *c,
                                    PyObject *d, PyObject *e, PyObject *f) {
        PyObject *v[6] = {a, b, c, d, e, f};
        if (lw_message_layout.tp != tp && lw_layout_of(&lw_message_layout, tp, lw_message_names, 6) < 0) return NULL;
        return lw_fill(&lw_message_layout, v, 6);
    }

    /* ---- writing: the compiled MessageBuilder's hot path ---- */
    static const char *const lw_name_names[] = {"_wire", "_suffixes"};
    static const char *const lw_target_names[] = {"target"};
    static const char *const lw_srv_names[] = {"priority", "weight", "port", "target"};
    static const char *const lw_wire_names[] = {"_wire"};
    static lw_layout lw_name_layout, lw_ptr_layout, lw_cname_layout, lw_srv_layout;
    static lw_layout lw_a_layout, lw_aaaa_layout, lw_txt_layout;

    static int lw_writer_init(PyTypeObject *record, PyTypeObject *name, PyTypeObject *ptr,
                              PyTypeObject *cname, PyTypeObject *srv, PyTypeObject *a,
                              PyTypeObject *aaaa, PyTypeObject *txt) {
        if (lw_layout_of(&lw_record_layout, record, lw_record_names, 6) < 0
            || lw_layout_of(&lw_name_layout, name, lw_name_names, 2) < 0
            || lw_layout_of(&lw_ptr_layout, ptr, lw_target_names, 1) < 0
            || lw_layout_of(&lw_cname_layout, cname, lw_target_names, 1) < 0
            || lw_layout_of(&lw_srv_layout, srv, lw_srv_names, 4) < 0
            || lw_layout_of(&lw_a_layout, a, lw_wire_names, 1) < 0
            || lw_layout_of(&lw_aaaa_layout, aaaa, lw_wire_names, 1) < 0
            || lw_layout_of(&lw_txt_layout, txt, lw_wire_names, 1) < 0) return -1;
        return 0;
    }

    /* Slot i of o as a new reference: read directly when o is exactly l->tp and the
       slot is set, else through getattr (a subclass, or an unset cache slot). */
    static PyObject *lw_get(PyObject *o, lw_layout *l, int i, const char *attr) {
        PyObject *v;
        if (Py_TYPE(o) == l->tp && (v = LW_SLOT(o, l->off[i])) != NULL) {
            Py_INCREF(v);
            return v;
        }
        return PyObject_GetAttrString(o, attr);
    }

    static int lw_extend(PyObject *buf, const char *src, Py_ssize_t n) {
        Py_ssize_t size = PyByteArray_GET_SIZE(buf);
        if (PyByteArray_Resize(buf, size + n) < 0) return -1;
        memcpy(PyByteArray_AS_STRING(buf) + size, src, (size_t)n);
        return 0;
    }

    /* write_name: the name, its longest suffix already in the
       message replaced by a pointer (RFC 1035 §4.1.4); its new suffixes entered in
       ``names`` (suffix octets -> offset), in the order the Python version enters them. */
    static int lw_write_name(PyObject *buf, PyObject *names, PyObject *name) {
        PyObject *wire = NULL, *suffixes = NULL, *pair, *found, *at;
        Py_ssize_t base, n, i, j;
        int rc = -1;
        if ((wire = lw_get(name, &lw_name_layout, 0, "_wire")) == NULL) return -1;
        if (Py_TYPE(name) == lw_name_layout.tp
            && (suffixes = LW_SLOT(name, lw_name_layout.off[1])) != NULL) Py_INCREF(suffixes);
        else if ((suffixes = PyObject_CallMethod(name, "_suffix_table", NULL)) == NULL) goto done;
        if (!PyBytes_CheckExact(wire) || !PyTuple_CheckExact(suffixes)) {
            PyErr_SetString(PyExc_TypeError, "a Name's wire form is bytes, its suffixes a tuple");
            goto done;
        }
        base = PyByteArray_GET_SIZE(buf);
        n = PyTuple_GET_SIZE(suffixes);
        for (i = 0; i < n; i++) {
            pair = PyTuple_GET_ITEM(suffixes, i);
            found = PyDict_GetItemWithError(names, PyTuple_GET_ITEM(pair, 0));
            if (found == NULL) {
                if (PyErr_Occurred()) goto done;
                continue;
            }
            {
                Py_ssize_t offset = PyLong_AsSsize_t(found);
                Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
                char pointer[2];
                if ((offset == -1 || start == -1) && PyErr_Occurred()) goto done;
                pointer[0] = (char)(0xC0 | ((offset >> 8) & 0x3F));
                pointer[1] = (char)(offset & 0xFF);
                if (start && lw_extend(buf, PyBytes_AS_STRING(wire), start) < 0) goto done;
                if (lw_extend(buf, pointer, 2) < 0) goto done;
            }
            break;
        }
        if (i == n && lw_extend(buf, PyBytes_AS_STRING(wire), PyBytes_GET_SIZE(wire)) < 0) goto done;
        for (j = 0; j < i; j++) {
            Py_ssize_t start;
            pair = PyTuple_GET_ITEM(suffixes, j);
            start = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
            if (start == -1 && PyErr_Occurred()) goto done;
            if ((at = PyLong_FromSsize_t(base + start)) == NULL) goto done;
            if (PyDict_SetItem(names, PyTuple_GET_ITEM(pair, 0), at) < 0) { Py_DECREF(at); goto done; }
            Py_DECREF(at);
        }
        rc = 0;
      done:
        Py_XDECREF(wire);
        Py_XDECREF(suffixes);
        return rc;
    }

    static int lw_uint(PyObject *v, unsigned long max, unsigned long *out) {
        unsigned long x = PyLong_AsUnsignedLong(v);
        if (x == (unsigned long)-1 && PyErr_Occurred()) return -1;
        if (x > max) { PyErr_SetString(PyExc_OverflowError, "record field out of range"); return -1; }
        *out = x;
        return 0;
    }

    /* A record's owner name and its type, class (cache-flush bit included), TTL and
       a zero rdata length; returns the rdata (new reference). */
    static PyObject *lw_put_record_head(PyObject *buf, PyObject *names, PyObject *rec) {
        static const char *attrs[6] = {"name", "rtype", "rclass", "ttl", "rdata", "cache_flush"};
        PyObject *p[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
        PyObject *result = NULL;
        unsigned long rtype, rclass, ttl;
        unsigned char h[10];
        int i, flush;
        for (i = 0; i < 6; i++)
            if ((p[i] = lw_get(rec, &lw_record_layout, i, attrs[i])) == NULL) goto done;
        if (lw_uint(p[1], 0xFFFF, &rtype) < 0 || lw_uint(p[2], 0xFFFF, &rclass) < 0
            || lw_uint(p[3], 0xFFFFFFFFUL, &ttl) < 0) goto done;
        if ((flush = PyObject_IsTrue(p[5])) < 0) goto done;
        if (flush) rclass |= 0x8000;
        if (lw_write_name(buf, names, p[0]) < 0) goto done;
        h[0] = (unsigned char)(rtype >> 8); h[1] = (unsigned char)rtype;
        h[2] = (unsigned char)(rclass >> 8); h[3] = (unsigned char)rclass;
        h[4] = (unsigned char)(ttl >> 24); h[5] = (unsigned char)(ttl >> 16);
        h[6] = (unsigned char)(ttl >> 8); h[7] = (unsigned char)ttl;
        h[8] = h[9] = 0;
        if (lw_extend(buf, (const char *)h, 10) < 0) goto done;
        result = p[4];
        p[4] = NULL;
      done:
        for (i = 0; i < 6; i++) Py_XDECREF(p[i]);
        return result;
    }

    static int lw_put_wire(PyObject *buf, PyObject *rdata, lw_layout *l) {
        PyObject *wire = LW_SLOT(rdata, l->off[0]);
        if (wire == NULL || !PyBytes_CheckExact(wire)) return 0;
        return lw_extend(buf, PyBytes_AS_STRING(wire), PyBytes_GET_SIZE(wire)) < 0 ? -1 : 1;
    }

    /* The rdata of the types a DNS-SD response is made of, from their slots, names
       compressed (RFC 6762 §18.14): 1 when written, 0 for other types (the caller
       writes those), -1 on error. */
    static int lw_put_rdata(PyObject *buf, PyObject *names, PyObject *rdata) {
        PyTypeObject *t = Py_TYPE(rdata);
        PyObject *v;
        if (t == lw_a_layout.tp) return lw_put_wire(buf, rdata, &lw_a_layout);
        if (t == lw_txt_layout.tp) return lw_put_wire(buf, rdata, &lw_txt_layout);
        if (t == lw_aaaa_layout.tp) return lw_put_wire(buf, rdata, &lw_aaaa_layout);
        if (t == lw_ptr_layout.tp || t == lw_cname_layout.tp) {
            v = LW_SLOT(rdata, (t == lw_ptr_layout.tp ? lw_ptr_layout : lw_cname_layout).off[0]);
            if (v == NULL) return 0;
            return lw_write_name(buf, names, v) < 0 ? -1 : 1;
        }
        if (t == lw_srv_layout.tp) {
            unsigned long f[3];
            unsigned char h[6];
            int i;
            for (i = 0; i < 4; i++)
                if (LW_SLOT(rdata, lw_srv_layout.off[i]) == NULL) return 0;
            for (i = 0; i < 3; i++)
                if (lw_uint(LW_SLOT(rdata, lw_srv_layout.off[i]), 0xFFFF, &f[i]) < 0) return -1;
            for (i = 0; i < 3; i++) {
                h[2 * i] = (unsigned char)(f[i] >> 8);
                h[2 * i + 1] = (unsigned char)f[i];
            }
            if (lw_extend(buf, (const char *)h, 6) < 0) return -1;
            return lw_write_name(buf, names, LW_SLOT(rdata, lw_srv_layout.off[3])) < 0 ? -1 : 1;
        }
        return 0;
    }

    /* The rdata length of the record whose header starts at ``start``: what follows it. */
    static int lw_patch_length(PyObject *buf, Py_ssize_t start) {
        Py_ssize_t size = PyByteArray_GET_SIZE(buf), length = size - start - 10;
        unsigned char *at;
        if (start < 0 || length < 0 || length > 0xFFFF) {
            PyErr_SetString(PyExc_ValueError, "rdata length out of range");
            return -1;
        }
        at = (unsigned char *)PyByteArray_AS_STRING(buf) + start + 8;
        at[0] = (unsigned char)(length >> 8);
        at[1] = (unsigned char)length;
        return 0;
    }

    /* record.key, (name, rtype, rclass, rdata), built from the slots of an exact
       Record (the property is a Python-level call); anything else through getattr. */
    static PyObject *lw_record_key(PyObject *r) {
        static const int fields[4] = {0, 1, 2, 4};
        PyObject *t, *v;
        int i;
        if (Py_TYPE(r) != lw_record_layout.tp) return PyObject_GetAttrString(r, "key");
        for (i = 0; i < 4; i++) {
            if (LW_SLOT(r, lw_record_layout.off[fields[i]]) == NULL) return PyObject_GetAttrString(r, "key");
        }
        if ((t = PyTuple_New(4)) == NULL) return NULL;
        for (i = 0; i < 4; i++) {
            v = LW_SLOT(r, lw_record_layout.off[fields[i]]);
            Py_INCREF(v);
            PyTuple_SET_ITEM(t, i, v);
        }
        return t;
    }
    """
    object _c_record_key "lw_record_key"(object record)
    object _c_new_question "lw_new_question"(type tp, object a, object b, object c, object d)
    object _c_new_record "lw_new_record"(
        type tp, object a, object b, object c, object d, object e, object f
    )
    object _c_new_message "lw_new_message"(
        type tp, object a, object b, object c, object d, object e, object f
    )
    int _c_writer_init "lw_writer_init"(
        type record, type name, type ptr, type cname, type srv, type a, type aaaa, type txt
    ) except -1
    int _c_write_name "lw_write_name"(bytearray buf, dict names, object name) except -1
    object _c_put_record_head "lw_put_record_head"(bytearray buf, dict names, object record)
    int _c_put_rdata "lw_put_rdata"(bytearray buf, dict names, object rdata) except -1
    int _c_patch_length "lw_patch_length"(bytearray buf, Py_ssize_t start) except -1


cdef bint _COMPILED

cpdef object new_question(type cls, object name, object qtype, object qclass, object qu)
cpdef object new_record(
    type cls, object name, object rtype, object rclass, object ttl, object rdata, object flush
)
cpdef object new_message(
    type cls, object ident, object flags, object qd, object an, object ns, object ar
)
cpdef void write_name(bytearray buf, dict names, object name)
cpdef object put_record_head(bytearray buf, dict names, object record)
cpdef bint put_rdata(bytearray buf, dict names, object rdata)
cpdef void patch_length(bytearray buf, Py_ssize_t start)
cpdef object record_key(object record)
