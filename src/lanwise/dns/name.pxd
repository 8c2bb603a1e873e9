# C for name.py when compiled (docs/compiled.md); the .py stays the source.
# Name stays a Python class (frozen semantics, pickling, mypy's view); compiled, its
# type's hash slot reads the ``_key`` slot in C, so hashing a Name (every dict key
# and tuple key holding one) costs no Python-level call. The value is the same:
# hash(name._key).

cdef extern from *:
    """
    #include "structmember.h"

    static Py_ssize_t lw_name_key_offset = -1;

    static Py_hash_t lw_name_hash(PyObject *self) {
        PyObject *key = *(PyObject **)((char *)self + lw_name_key_offset);
        if (key == NULL) {
            PyErr_SetString(PyExc_AttributeError, "_key");
            return -1;
        }
        return PyObject_Hash(key);
    }

    /* Point cls's hash slot at lw_name_hash. Only cls itself: a subclass made later
       finds the Python __hash__ in its bases and keeps the generic slot (the same
       value, the slower way). Assigning __hash__ on the class resets the slot. */
    static int lw_name_install_hash(PyObject *cls) {
        PyTypeObject *tp = (PyTypeObject *)cls;
        PyObject *d = PyDict_GetItemString(tp->tp_dict, "_key");
        PyMemberDef *m;
        if (d == NULL || Py_TYPE(d) != &PyMemberDescr_Type) {
            PyErr_SetString(PyExc_TypeError, "Name._key is not a slot");
            return -1;
        }
        m = ((PyMemberDescrObject *)d)->d_member;
        if (m->type != T_OBJECT_EX) {
            PyErr_SetString(PyExc_TypeError, "Name._key is not an object slot");
            return -1;
        }
        lw_name_key_offset = m->offset;
        tp->tp_hash = lw_name_hash;
        PyType_Modified(tp);
        return 0;
    }
    """
    int _c_install_hash "lw_name_install_hash"(object cls) except -1
