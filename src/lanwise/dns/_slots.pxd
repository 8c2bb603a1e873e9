# C for the compiled codec: build the frozen slotted value classes (Question,
# Record, Message) by writing their slots directly. _slots.py calls these C
# functions (the _c_* names) when compiled, and does the same in Python otherwise.

cdef extern from *:
    """
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

    """
    object _c_new_question "lw_new_question"(type tp, object a, object b, object c, object d)
    object _c_new_record "lw_new_record"(
        type tp, object a, object b, object c, object d, object e, object f
    )
    object _c_new_message "lw_new_message"(
        type tp, object a, object b, object c, object d, object e, object f
    )


cdef bint _COMPILED

cpdef object new_question(type cls, object name, object qtype, object qclass, object qu)
cpdef object new_record(
    type cls, object name, object rtype, object rclass, object ttl, object rdata, object flush
)
cpdef object new_message(
    type cls, object ident, object flags, object qd, object an, object ns, object ar
)
