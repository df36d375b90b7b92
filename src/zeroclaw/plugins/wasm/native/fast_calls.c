/* A component function call in one C call: the Python arguments lowered into wasmtime's C
 * values, the store's deadline armed, `wasmtime_component_func_call`, and the result lifted
 * into Python values and freed (native_calls.py says why and how it is used).
 *
 * The Python side describes each function type once as nested tuples (a "spec", see
 * `native_calls.spec_of`); `Codec` turns it into a tree of `node`s. This file links to
 * nothing of wasmtime: `configure` hands it the addresses of the three C functions it calls
 * and the layout constants, which the Python side checks against wasmtime-py's own
 * declarations first. The values it lowers live on this call's C stack (a bump arena that
 * spills to the heap), and point into Python objects it holds a reference to until the
 * call returns. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* -- wasmtime's C value structs (wasmtime/component/val.h), mirrored ------------------------ */

typedef struct {
    size_t size;
    const char *data;
} zc_name;

typedef struct zc_val zc_val;
typedef struct zc_entry zc_entry;

typedef struct {
    size_t size;
    zc_val *data;
} zc_list;

typedef struct {
    size_t size;
    zc_entry *data;
} zc_record;

typedef struct {
    zc_name discriminant;
    zc_val *val;
} zc_variant;

typedef struct {
    bool is_ok;
    zc_val *val;
} zc_result;

typedef union {
    bool boolean;
    int8_t s8;
    uint8_t u8;
    int16_t s16;
    uint16_t u16;
    int32_t s32;
    uint32_t u32;
    int64_t s64;
    uint64_t u64;
    float f32;
    double f64;
    zc_name string;
    zc_list list;
    zc_record record;
    zc_variant variant;
    zc_name enumeration;
    zc_val *option;
    zc_result result;
} zc_union;

struct zc_val {
    uint8_t kind;
    zc_union of;
};

struct zc_entry {
    zc_name name;
    zc_val val;
};

typedef void *(*func_call_fn)(const void *func, void *context, const zc_val *args,
                              size_t nargs, zc_val *results, size_t nresults);
typedef void (*val_delete_fn)(zc_val *value);
typedef void (*set_deadline_fn)(void *context, uint64_t ticks);
typedef void (*ticker_arm_fn)(void *ticker, set_deadline_fn set, void *context, int64_t ticks);

/* -- what `configure` sets ------------------------------------------------------------------ */

enum node_type {
    N_BOOL, N_S8, N_U8, N_S16, N_U16, N_S32, N_U32, N_S64, N_U64, N_F32, N_F64,
    N_STRING, N_LIST, N_RECORD, N_VARIANT, N_ENUM, N_OPTION, N_RESULT,
    N_TYPES
};

static const char *const TYPE_NAMES[N_TYPES] = {
    "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64",
    "string", "list", "record", "variant", "enum", "option", "result",
};

static bool configured;
static uint8_t KIND[N_TYPES];
static func_call_fn func_call;
static val_delete_fn val_delete;
static set_deadline_fn set_deadline;
static ticker_arm_fn ticker_arm;
static Py_ssize_t max_list_items;
static PyObject *Variant;           /* wasmtime.component.Variant */
static PyObject *Mapping;           /* collections.abc.Mapping */
static PyObject *json_text;         /* conversion.json_text: a mapping -> bytes */
static PyObject *ConversionError;
static PyObject *LiftError;
static PyObject *raise_call_error;  /* (error address) -> raises wasmtime's error */
static PyObject *str_tag, *str_payload, *str_handle, *str_ok, *str_err;

/* -- a function type, as a tree ------------------------------------------------------------- */

typedef struct node node;
struct node {
    int type;
    bool json_object;     /* a string field named `arguments`: a mapping goes as JSON text */
    Py_ssize_t count;     /* fields, cases, names */
    node **children;      /* record fields, variant cases (NULL: no payload), [list item],
                           * [option payload], [ok, err] */
    PyObject **names;     /* record: snake_case attribute names (the lifted dict's keys);
                           * variant, enum: the case names */
    zc_name *texts;       /* record: the WIT field names; variant, enum: the case names */
    PyObject *refused;    /* variant, enum, result: the start of the error for a bad value */
};

static void node_free(node *n) {
    if (n == NULL) return;
    if (n->children != NULL) {
        Py_ssize_t children = n->type == N_RESULT ? 2
                            : (n->type == N_LIST || n->type == N_OPTION) ? 1 : n->count;
        for (Py_ssize_t i = 0; i < children; i++) node_free(n->children[i]);
        PyMem_Free(n->children);
    }
    if (n->names != NULL) {
        for (Py_ssize_t i = 0; i < n->count; i++) Py_XDECREF(n->names[i]);
        PyMem_Free(n->names);
    }
    if (n->texts != NULL) {
        for (Py_ssize_t i = 0; i < n->count; i++) PyMem_Free((void *)n->texts[i].data);
        PyMem_Free(n->texts);
    }
    Py_XDECREF(n->refused);
    PyMem_Free(n);
}

static int copy_text(PyObject *name, zc_name *out) {
    Py_ssize_t size;
    const char *data = PyUnicode_AsUTF8AndSize(name, &size);
    if (data == NULL) return -1;
    char *copy = PyMem_Malloc(size ? (size_t)size : 1);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, data, (size_t)size);
    out->size = (size_t)size;
    out->data = copy;
    return 0;
}

static node *node_new(PyObject *spec);

/* A spec's child: a spec, or None where a case carries no payload. */
static int child_of(PyObject *spec, node **out) {
    if (spec == Py_None) {
        *out = NULL;
        return 0;
    }
    *out = node_new(spec);
    return *out == NULL ? -1 : 0;
}

static node *node_new(PyObject *spec) {
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) < 1) {
        PyErr_SetString(PyExc_ValueError, "a spec is a tuple starting with its type's name");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0));
    if (name == NULL) return NULL;
    int type = -1;
    for (int i = 0; i < N_TYPES; i++)
        if (strcmp(name, TYPE_NAMES[i]) == 0) type = i;
    if (type < 0) {
        PyErr_Format(PyExc_ValueError, "no such type in a spec: %s", name);
        return NULL;
    }
    node *n = PyMem_Calloc(1, sizeof(node));
    if (n == NULL) return (node *)PyErr_NoMemory();
    n->type = type;
    Py_ssize_t size = PyTuple_GET_SIZE(spec);
    switch (type) {
    case N_STRING:  /* ("string", json_object) */
        n->json_object = size > 1 && PyObject_IsTrue(PyTuple_GET_ITEM(spec, 1)) == 1;
        return n;
    case N_LIST:    /* ("list", item) */
    case N_OPTION:  /* ("option", payload) */
        if (size != 2) break;
        n->children = PyMem_Calloc(1, sizeof(node *));
        if (n->children == NULL || child_of(PyTuple_GET_ITEM(spec, 1), &n->children[0]) < 0)
            goto fail;
        if (n->children[0] == NULL) break;
        return n;
    case N_RESULT:  /* ("result", ok or None, err or None, refused) */
        if (size != 4) break;
        n->children = PyMem_Calloc(2, sizeof(node *));
        if (n->children == NULL || child_of(PyTuple_GET_ITEM(spec, 1), &n->children[0]) < 0 ||
            child_of(PyTuple_GET_ITEM(spec, 2), &n->children[1]) < 0)
            goto fail;
        n->refused = Py_NewRef(PyTuple_GET_ITEM(spec, 3));
        return n;
    case N_RECORD:   /* ("record", ((attribute, wit name, field), ...)) */
    case N_VARIANT:  /* ("variant", ((case, payload or None), ...), refused) */
    case N_ENUM: {   /* ("enum", (case, ...), refused) */
        if (size < 2 || !PyTuple_Check(PyTuple_GET_ITEM(spec, 1))) break;
        PyObject *items = PyTuple_GET_ITEM(spec, 1);
        n->count = PyTuple_GET_SIZE(items);
        Py_ssize_t count = n->count ? n->count : 1;
        n->names = PyMem_Calloc((size_t)count, sizeof(PyObject *));
        n->texts = PyMem_Calloc((size_t)count, sizeof(zc_name));
        if (type != N_ENUM) n->children = PyMem_Calloc((size_t)count, sizeof(node *));
        if (n->names == NULL || n->texts == NULL || (type != N_ENUM && n->children == NULL)) {
            PyErr_NoMemory();
            goto fail;
        }
        if (type != N_RECORD) {
            if (size != 3) break;
            n->refused = Py_NewRef(PyTuple_GET_ITEM(spec, 2));
        }
        for (Py_ssize_t i = 0; i < n->count; i++) {
            PyObject *item = PyTuple_GET_ITEM(items, i);
            if (type == N_ENUM) {
                if (!PyUnicode_Check(item)) goto bad;
                n->names[i] = Py_NewRef(item);
                PyUnicode_InternInPlace(&n->names[i]);
                if (copy_text(item, &n->texts[i]) < 0) goto fail;
                continue;
            }
            Py_ssize_t parts = type == N_RECORD ? 3 : 2;
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != parts) goto bad;
            PyObject *attr = PyTuple_GET_ITEM(item, 0);
            PyObject *text = PyTuple_GET_ITEM(item, type == N_RECORD ? 1 : 0);
            if (!PyUnicode_Check(attr) || !PyUnicode_Check(text)) goto bad;
            n->names[i] = Py_NewRef(attr);
            PyUnicode_InternInPlace(&n->names[i]);
            if (copy_text(text, &n->texts[i]) < 0 ||
                child_of(PyTuple_GET_ITEM(item, parts - 1), &n->children[i]) < 0)
                goto fail;
            if (type == N_RECORD && n->children[i] == NULL) goto bad;
        }
        return n;
    }
    default:  /* a scalar: (name,) */
        return n;
    }
bad:
    PyErr_Format(PyExc_ValueError, "a malformed %s spec", TYPE_NAMES[type]);
fail:
    node_free(n);
    return NULL;
}

/* -- the memory of one call ------------------------------------------------------------------ */

/* Bump allocation from a block on the caller's stack, then from heap blocks (freed when the
 * call ends); and the Python objects the lowered values point into, held until then. */
typedef struct block {
    struct block *next;
    size_t size, used;
    _Alignas(max_align_t) unsigned char data[];
} block;

typedef struct {
    unsigned char *first;
    size_t first_size, first_used;
    block *heap;  /* the newest heap block first */
    PyObject **refs;
    Py_ssize_t nrefs, cap;
    PyObject *local_refs[32];
} arena;

#define FIRST_BLOCK 4096

static void arena_init(arena *a, unsigned char *first, size_t size) {
    a->first = first;
    a->first_size = size;
    a->first_used = 0;
    a->heap = NULL;
    a->refs = a->local_refs;
    a->nrefs = 0;
    a->cap = (Py_ssize_t)(sizeof(a->local_refs) / sizeof(a->local_refs[0]));
}

static void arena_release(arena *a) {
    for (Py_ssize_t i = 0; i < a->nrefs; i++) Py_DECREF(a->refs[i]);
    if (a->refs != a->local_refs) PyMem_Free(a->refs);
    a->refs = a->local_refs;
    a->nrefs = 0;
    while (a->heap != NULL) {
        block *next = a->heap->next;
        PyMem_RawFree(a->heap);
        a->heap = next;
    }
}

static void *arena_alloc(arena *a, size_t size) {
    size = (size + 7) & ~(size_t)7;
    if (size <= a->first_size - a->first_used) {
        void *at = a->first + a->first_used;
        a->first_used += size;
        return at;
    }
    block *b = a->heap;
    if (b == NULL || size > b->size - b->used) {
        size_t want = b == NULL ? 4 * FIRST_BLOCK : 2 * b->size;
        if (want < size) want = size;
        b = PyMem_RawMalloc(sizeof(block) + want);
        if (b == NULL) return PyErr_NoMemory();
        b->next = a->heap;
        b->size = want;
        b->used = 0;
        a->heap = b;
    }
    void *at = b->data + b->used;
    b->used += size;
    return at;
}

/* Keep `object` (a new reference, stolen) alive until the call ends. */
static int arena_keep(arena *a, PyObject *object) {
    if (a->nrefs == a->cap) {
        Py_ssize_t cap = 2 * a->cap;
        PyObject **refs = PyMem_Malloc((size_t)cap * sizeof(PyObject *));
        if (refs == NULL) {
            Py_DECREF(object);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(refs, a->refs, (size_t)a->nrefs * sizeof(PyObject *));
        if (a->refs != a->local_refs) PyMem_Free(a->refs);
        a->refs = refs;
        a->cap = cap;
    }
    a->refs[a->nrefs++] = object;
    return 0;
}

/* -- lowering: Python -> C values --------------------------------------------------------- */

static int refuse_type(const char *what, PyObject *value) {
    PyErr_Format(ConversionError, "expected a %s, got %s", what, Py_TYPE(value)->tp_name);
    return -1;
}

static int refuse_value(PyObject *refused, PyObject *value) {
    PyObject *text = PyUnicode_FromFormat("%U%R", refused, value);
    if (text != NULL) {
        PyErr_SetObject(ConversionError, text);
        Py_DECREF(text);
    }
    return -1;
}

static int lower_int(const node *n, PyObject *value, zc_val *out) {
    static const long long LOW[] = {INT8_MIN, 0, INT16_MIN, 0, INT32_MIN, 0, INT64_MIN, 0};
    static const unsigned long long HIGH[] = {INT8_MAX, UINT8_MAX, INT16_MAX, UINT16_MAX,
                                              INT32_MAX, UINT32_MAX, INT64_MAX, UINT64_MAX};
    int index = n->type - N_S8;
    bool is_signed = index % 2 == 0;
    if (PyLong_CheckExact(value)) {
        if (is_signed) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
            if (!overflow && !(v == -1 && PyErr_Occurred()) && v >= LOW[index] &&
                v <= (long long)HIGH[index]) {
                switch (n->type) {
                case N_S8: out->of.s8 = (int8_t)v; break;
                case N_S16: out->of.s16 = (int16_t)v; break;
                case N_S32: out->of.s32 = (int32_t)v; break;
                default: out->of.s64 = (int64_t)v; break;
                }
                return 0;
            }
        } else {
            unsigned long long v = PyLong_AsUnsignedLongLong(value);
            if (!(v == (unsigned long long)-1 && PyErr_Occurred()) && v <= HIGH[index]) {
                switch (n->type) {
                case N_U8: out->of.u8 = (uint8_t)v; break;
                case N_U16: out->of.u16 = (uint16_t)v; break;
                case N_U32: out->of.u32 = (uint32_t)v; break;
                default: out->of.u64 = (uint64_t)v; break;
                }
                return 0;
            }
        }
        PyErr_Clear();
    }
    if (is_signed)
        PyErr_Format(ConversionError, "expected an int in [%lld, %llu] (%s), got %R",
                     LOW[index], HIGH[index], TYPE_NAMES[n->type], value);
    else
        PyErr_Format(ConversionError, "expected an int in [0, %llu] (%s), got %R", HIGH[index],
                     TYPE_NAMES[n->type], value);
    return -1;
}

/* A str's UTF-8, or a mapping's JSON text (a `json_object` string), held until the end. */
static int lower_string(arena *a, const node *n, PyObject *value, zc_name *out) {
    if (PyUnicode_CheckExact(value)) {
        Py_ssize_t size;
        const char *data = PyUnicode_AsUTF8AndSize(value, &size);
        if (data == NULL || arena_keep(a, Py_NewRef(value)) < 0) return -1;
        out->size = (size_t)size;
        out->data = data;
        return 0;
    }
    if (n->json_object) {
        int mapping = PyDict_Check(value) ? 1 : PyObject_IsInstance(value, Mapping);
        if (mapping < 0) return -1;
        if (mapping) {
            PyObject *text = PyObject_CallOneArg(json_text, value);
            if (text == NULL) return -1;
            if (!PyBytes_Check(text)) {
                Py_DECREF(text);
                PyErr_SetString(PyExc_TypeError, "json_text returned no bytes");
                return -1;
            }
            if (arena_keep(a, text) < 0) return -1;
            out->size = (size_t)PyBytes_GET_SIZE(text);
            out->data = PyBytes_AS_STRING(text);
            return 0;
        }
    }
    return refuse_type("str", value);
}

static int lower(arena *a, const node *n, PyObject *value, zc_val *out);

/* A value held out of line (option, variant and result payloads). */
static int lower_boxed(arena *a, const node *n, PyObject *value, zc_val **out) {
    zc_val *box = arena_alloc(a, sizeof(zc_val));
    if (box == NULL) return -1;
    *out = box;
    return lower(a, n, value, box);
}

static int lower_record(arena *a, const node *n, PyObject *value, zc_val *out) {
    zc_entry *entries = arena_alloc(a, (size_t)n->count * sizeof(zc_entry));
    if (entries == NULL && n->count) return -1;
    out->of.record.size = (size_t)n->count;
    out->of.record.data = entries;
    /* Every field read first, then each lowered: a missing one is refused before a field
     * of the wrong type, as the Python path's getters do. */
    PyObject **fields = arena_alloc(a, (size_t)n->count * sizeof(PyObject *));
    if (fields == NULL && n->count) return -1;
    bool is_dict = PyDict_CheckExact(value);
    for (Py_ssize_t i = 0; i < n->count; i++) {
        PyObject *field;
        if (is_dict) {
            field = PyDict_GetItemWithError(value, n->names[i]);
            if (field == NULL) {
                if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, n->names[i]);
                return -1;
            }
            Py_INCREF(field);
        } else {
            field = PyObject_GetAttr(value, n->names[i]);
            if (field == NULL) return -1;
        }
        if (arena_keep(a, field) < 0) return -1;
        fields[i] = field;
    }
    for (Py_ssize_t i = 0; i < n->count; i++) {
        entries[i].name = n->texts[i];
        if (lower(a, n->children[i], fields[i], &entries[i].val) < 0) return -1;
    }
    return 0;
}

static int lower_variant(arena *a, const node *n, PyObject *value, zc_val *out) {
    int is_variant = PyObject_IsInstance(value, Variant);
    if (is_variant < 0) return -1;
    if (!is_variant) return refuse_value(n->refused, value);
    PyObject *tag = PyObject_GetAttr(value, str_tag);
    if (tag == NULL || arena_keep(a, tag) < 0) return -1;
    bool is_result = n->type == N_RESULT;
    Py_ssize_t cases = is_result ? 2 : n->count;
    Py_ssize_t found = -1;
    for (Py_ssize_t i = 0; i < cases && found < 0; i++) {
        PyObject *name = is_result ? (i == 0 ? str_ok : str_err) : n->names[i];
        int same = name == tag ? 1 : PyUnicode_Check(tag) ? PyUnicode_Compare(name, tag) == 0 : 0;
        if (same) found = i;
    }
    if (found < 0) return refuse_value(n->refused, value);
    zc_val *box = NULL;
    node *payload = n->children[found];
    if (payload != NULL) {
        PyObject *inner = PyObject_GetAttr(value, str_payload);
        if (inner == NULL || arena_keep(a, inner) < 0) return -1;
        if (lower_boxed(a, payload, inner, &box) < 0) return -1;
    }
    if (is_result) {
        out->of.result.is_ok = found == 0;
        out->of.result.val = box;
    } else {
        out->of.variant.discriminant = n->texts[found];
        out->of.variant.val = box;
    }
    return 0;
}

static int lower(arena *a, const node *n, PyObject *value, zc_val *out) {
    out->kind = KIND[n->type];
    switch (n->type) {
    case N_BOOL:
        if (!PyBool_Check(value)) return refuse_type("bool", value);
        out->of.boolean = value == Py_True;
        return 0;
    case N_S8: case N_U8: case N_S16: case N_U16:
    case N_S32: case N_U32: case N_S64: case N_U64:
        return lower_int(n, value, out);
    case N_F32:
    case N_F64: {
        if (!PyFloat_CheckExact(value) && !PyLong_CheckExact(value))
            return refuse_type("float", value);
        double v = PyFloat_AsDouble(value);
        if (v == -1.0 && PyErr_Occurred()) return -1;
        if (n->type == N_F64) {
            out->of.f64 = v;
        } else {
            if (isfinite(v) && fabs(v) > FLT_MAX) {
                PyErr_SetString(PyExc_OverflowError, "float too large to pack with f format");
                return -1;
            }
            out->of.f32 = (float)v;
        }
        return 0;
    }
    case N_STRING:
        return lower_string(a, n, value, &out->of.string);
    case N_RECORD:
        return lower_record(a, n, value, out);
    case N_LIST: {
        if (!PyList_Check(value) && !PyTuple_Check(value))
            return refuse_type("list or tuple", value);
        /* A tuple: a list's items could move if Python code run by the lowering (a
         * property, a mapping's JSON) changed the list. */
        PyObject *items = PySequence_Tuple(value);
        if (items == NULL || arena_keep(a, items) < 0) return -1;
        Py_ssize_t count = PyTuple_GET_SIZE(items);
        zc_val *data = arena_alloc(a, (size_t)count * sizeof(zc_val));
        if (data == NULL && count) return -1;
        out->of.list.size = (size_t)count;
        out->of.list.data = data;
        for (Py_ssize_t i = 0; i < count; i++)
            if (lower(a, n->children[0], PyTuple_GET_ITEM(items, i), &data[i]) < 0) return -1;
        return 0;
    }
    case N_OPTION:
        out->of.option = NULL;
        return value == Py_None ? 0 : lower_boxed(a, n->children[0], value, &out->of.option);
    case N_VARIANT:
    case N_RESULT:
        return lower_variant(a, n, value, out);
    case N_ENUM:
        if (PyUnicode_CheckExact(value))
            for (Py_ssize_t i = 0; i < n->count; i++)
                if (n->names[i] == value || PyUnicode_Compare(n->names[i], value) == 0) {
                    out->of.enumeration = n->texts[i];
                    return 0;
                }
        return refuse_value(n->refused, value);
    }
    PyErr_SetString(PyExc_SystemError, "a node of no known type");
    return -1;
}

/* -- lifting: C values -> Python ---------------------------------------------------------- */

static PyObject *wrong_kind(const node *n, const zc_val *value) {
    PyErr_Format(LiftError, "expected a %s value from the guest, got kind %d",
                 TYPE_NAMES[n->type], (int)value->kind);
    return NULL;
}

static PyObject *lift(const node *n, const zc_val *value);

static PyObject *variant_of(PyObject *tag, const node *payload, const zc_val *box) {
    if (payload == NULL || box == NULL) return PyObject_CallOneArg(Variant, tag);
    PyObject *inner = lift(payload, box);
    if (inner == NULL) return NULL;
    PyObject *args[] = {tag, inner};
    PyObject *made = PyObject_Vectorcall(Variant, args, 2, NULL);
    Py_DECREF(inner);
    return made;
}

static PyObject *lift(const node *n, const zc_val *value) {
    if (value->kind != KIND[n->type]) return wrong_kind(n, value);
    const zc_union *of = &value->of;
    switch (n->type) {
    case N_BOOL: return PyBool_FromLong(of->boolean);
    case N_S8: return PyLong_FromLong(of->s8);
    case N_U8: return PyLong_FromLong(of->u8);
    case N_S16: return PyLong_FromLong(of->s16);
    case N_U16: return PyLong_FromLong(of->u16);
    case N_S32: return PyLong_FromLong(of->s32);
    case N_U32: return PyLong_FromUnsignedLong(of->u32);
    case N_S64: return PyLong_FromLongLong(of->s64);
    case N_U64: return PyLong_FromUnsignedLongLong(of->u64);
    case N_F32: return PyFloat_FromDouble(of->f32);
    case N_F64: return PyFloat_FromDouble(of->f64);
    case N_STRING:
        return PyUnicode_DecodeUTF8(of->string.data, (Py_ssize_t)of->string.size, "strict");
    case N_RECORD: {
        if (of->record.size != (size_t)n->count)
            return PyErr_Format(LiftError, "expected a record of %zd fields, got %zu", n->count,
                                of->record.size);
        PyObject *made = PyDict_New();
        if (made == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n->count; i++) {
            PyObject *field = lift(n->children[i], &of->record.data[i].val);
            if (field == NULL || PyDict_SetItem(made, n->names[i], field) < 0) {
                Py_XDECREF(field);
                Py_DECREF(made);
                return NULL;
            }
            Py_DECREF(field);
        }
        return made;
    }
    case N_LIST: {
        if (of->list.size > (size_t)max_list_items)
            return PyErr_Format(LiftError,
                                "the guest returned a list of %zu items; the host takes at "
                                "most %zd", of->list.size, max_list_items);
        Py_ssize_t count = (Py_ssize_t)of->list.size;
        PyObject *made = PyList_New(count);
        if (made == NULL) return NULL;
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *item = lift(n->children[0], &of->list.data[i]);
            if (item == NULL) {
                Py_DECREF(made);
                return NULL;
            }
            PyList_SET_ITEM(made, i, item);
        }
        return made;
    }
    case N_OPTION:
        return of->option == NULL ? Py_NewRef(Py_None) : lift(n->children[0], of->option);
    case N_VARIANT: {
        const zc_name *name = &of->variant.discriminant;
        for (Py_ssize_t i = 0; i < n->count; i++)
            if (n->texts[i].size == name->size &&
                memcmp(n->texts[i].data, name->data, name->size) == 0)
                return variant_of(n->names[i], n->children[i], of->variant.val);
        PyObject *text = PyUnicode_DecodeUTF8(name->data, (Py_ssize_t)name->size, "replace");
        if (text != NULL) {
            PyErr_Format(LiftError, "the guest returned an unknown case %R", text);
            Py_DECREF(text);
        }
        return NULL;
    }
    case N_RESULT: {
        bool ok = of->result.is_ok;
        return variant_of(ok ? str_ok : str_err, n->children[ok ? 0 : 1], of->result.val);
    }
    case N_ENUM: {
        const zc_name *name = &of->enumeration;
        for (Py_ssize_t i = 0; i < n->count; i++)
            if (n->texts[i].size == name->size &&
                memcmp(n->texts[i].data, name->data, name->size) == 0)
                return Py_NewRef(n->names[i]);
        return PyUnicode_DecodeUTF8(name->data, (Py_ssize_t)name->size, "strict");
    }
    }
    PyErr_SetString(PyExc_SystemError, "a node of no known type");
    return NULL;
}

/* -- Codec ------------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    Py_ssize_t nparams;
    node **params;
    node *result;  /* NULL: the function returns nothing */
    PyObject *signature;
} Codec;

static void Codec_dealloc(Codec *self) {
    for (Py_ssize_t i = 0; i < self->nparams; i++) node_free(self->params[i]);
    PyMem_Free(self->params);
    node_free(self->result);
    Py_XDECREF(self->signature);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Codec_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *params, *result, *signature;
    static char *keywords[] = {"params", "result", "signature", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OU", keywords, &PyTuple_Type, &params,
                                     &result, &signature))
        return NULL;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    Codec *self = (Codec *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->signature = Py_NewRef(signature);
    Py_ssize_t count = PyTuple_GET_SIZE(params);
    self->params = PyMem_Calloc(count ? (size_t)count : 1, sizeof(node *));
    if (self->params == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->nparams = count;
    for (Py_ssize_t i = 0; i < count; i++) {
        self->params[i] = node_new(PyTuple_GET_ITEM(params, i));
        if (self->params[i] == NULL) {
            Py_DECREF(self);
            return NULL;
        }
    }
    if (result != Py_None && (self->result = node_new(result)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* The arguments lowered into `values` (one per parameter, in the arena). */
static int lower_args(Codec *self, arena *a, PyObject *args, zc_val *values) {
    PyObject *items = PySequence_Tuple(args);  /* a tuple, as for a list value */
    if (items == NULL) return -1;
    if (arena_keep(a, items) < 0) return -1;
    if (PyTuple_GET_SIZE(items) != self->nparams) {
        PyErr_Format(ConversionError, "%U takes %zd argument(s)", self->signature, self->nparams);
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->nparams; i++)
        if (lower(a, self->params[i], PyTuple_GET_ITEM(items, i), &values[i]) < 0) return -1;
    return 0;
}

/* The store's deadline: through the native ticker (`ticker._handle`, when it runs) in one C
 * call, else through `arm(context, ticks)`. */
static int arm_store(PyObject *arm, PyObject *ticker, void *context, long long ticks) {
    if (ticker != Py_None && ticker_arm != NULL && set_deadline != NULL) {
        PyObject *handle = PyObject_GetAttr(ticker, str_handle);
        if (handle == NULL) return -1;
        void *address = PyLong_AsVoidPtr(handle);
        Py_DECREF(handle);
        if (address == NULL && PyErr_Occurred()) return -1;
        if (address != NULL) {
            ticker_arm(address, set_deadline, context, ticks);
            return 0;
        }
    }
    if (arm == Py_None) return 0;
    PyObject *done = PyObject_CallFunction(arm, "KL", (unsigned long long)(uintptr_t)context,
                                           ticks);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

static PyObject *Codec_call(Codec *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "call(func, context, args, keep_gil, ticks, arm, ticker) takes 7 "
                        "arguments");
        return NULL;
    }
    void *func = PyLong_AsVoidPtr(args[0]);
    void *context = PyLong_AsVoidPtr(args[1]);
    int keep_gil = PyObject_IsTrue(args[3]);
    long long ticks = PyLong_AsLongLong(args[4]);
    if (PyErr_Occurred() || keep_gil < 0) return NULL;

    _Alignas(max_align_t) unsigned char first[FIRST_BLOCK];
    arena a;
    arena_init(&a, first, sizeof(first));
    PyObject *lifted = NULL;
    zc_val result;
    result.kind = KIND[N_BOOL];  /* holds nothing to free until wasmtime writes it */
    size_t nresults = self->result != NULL ? 1 : 0;
    void *error;
    zc_val *values = arena_alloc(&a, (size_t)(self->nparams ? self->nparams : 1) *
                                         sizeof(zc_val));
    if (values == NULL || lower_args(self, &a, args[2], values) < 0) goto done;
    if (arm_store(args[5], args[6], context, ticks) < 0) goto done;

    if (keep_gil) {
        error = func_call(func, context, values, (size_t)self->nparams, &result, nresults);
    } else {
        Py_BEGIN_ALLOW_THREADS
        error = func_call(func, context, values, (size_t)self->nparams, &result, nresults);
        Py_END_ALLOW_THREADS
    }
    if (error != NULL) {
        PyObject *raised = PyObject_CallFunction(raise_call_error, "K",
                                                 (unsigned long long)(uintptr_t)error);
        Py_XDECREF(raised);  /* it raises; a return is a bug of its own */
        if (raised != NULL)
            PyErr_SetString(PyExc_SystemError, "raise_call_error returned");
        goto done;
    }
    if (self->result == NULL) {
        lifted = Py_NewRef(Py_None);
    } else {
        lifted = lift(self->result, &result);
        val_delete(&result);
    }
done:
    arena_release(&a);
    return lifted;
}

/* For tests: the arguments lowered, kept by the returned object. */
typedef struct {
    PyObject_HEAD
    arena a;
    zc_val *values;
} Lowered;

static void Lowered_dealloc(Lowered *self) {
    arena_release(&self->a);
    PyMem_Free(self->a.first);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Lowered_address(Lowered *self, void *closure) {
    (void)closure;
    return PyLong_FromVoidPtr(self->values);
}

static PyGetSetDef Lowered_getset[] = {
    {"address", (getter)Lowered_address, NULL, "the first argument's C value", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LoweredType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "zeroclaw_fast_calls.Lowered",
    .tp_basicsize = sizeof(Lowered),
    .tp_dealloc = (destructor)Lowered_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_getset = Lowered_getset,
};

static PyObject *Codec_lower(Codec *self, PyObject *args) {
    Lowered *made = PyObject_New(Lowered, &LoweredType);
    if (made == NULL) return NULL;
    unsigned char *first = PyMem_Malloc(FIRST_BLOCK);
    if (first == NULL) {
        PyObject_Free(made);
        return PyErr_NoMemory();
    }
    arena_init(&made->a, first, FIRST_BLOCK);
    made->values = arena_alloc(&made->a, (size_t)(self->nparams ? self->nparams : 1) *
                                             sizeof(zc_val));
    if (made->values == NULL || lower_args(self, &made->a, args, made->values) < 0) {
        Py_DECREF(made);
        return NULL;
    }
    /* The refs array may live inside `made` (local_refs): it moves with nothing, since
     * `made` is on the heap already. */
    return (PyObject *)made;
}

static PyObject *Codec_lift(Codec *self, PyObject *address) {
    if (self->result == NULL) Py_RETURN_NONE;
    void *at = PyLong_AsVoidPtr(address);
    if (at == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a null address");
        return NULL;
    }
    return lift(self->result, at);
}

static PyMethodDef Codec_methods[] = {
    {"call", (PyCFunction)(void (*)(void))Codec_call, METH_FASTCALL,
     "call(func, context, args, keep_gil, ticks, arm, ticker): lower, arm, call, lift, free"},
    {"lower", (PyCFunction)Codec_lower, METH_O,
     "the arguments lowered (tests): an object whose `address` is the first C value"},
    {"lift", (PyCFunction)Codec_lift, METH_O,
     "the Python value of the result's C value at an address (read, not freed)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CodecType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "zeroclaw_fast_calls.Codec",
    .tp_basicsize = sizeof(Codec),
    .tp_dealloc = (destructor)Codec_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Codec(params, result, signature): one function type's calls",
    .tp_methods = Codec_methods,
    .tp_new = Codec_new,
};

/* -- configure ------------------------------------------------------------------------------ */

static PyObject *configure(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *keywords[] = {"layout", "kinds", "functions", "objects", "max_list_items",
                               NULL};
    PyObject *layout, *kinds, *functions, *objects;
    Py_ssize_t max_items;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O!O!n", keywords, &PyTuple_Type,
                                     &layout, &PyTuple_Type, &kinds, &PyTuple_Type, &functions,
                                     &PyTuple_Type, &objects, &max_items))
        return NULL;
    /* layout: (sizeof val, offsetof val.of, sizeof union, sizeof entry, offsetof entry.val) */
    Py_ssize_t expected[] = {sizeof(zc_val), offsetof(zc_val, of), sizeof(zc_union),
                             sizeof(zc_entry), offsetof(zc_entry, val)};
    Py_ssize_t count = (Py_ssize_t)(sizeof(expected) / sizeof(expected[0]));
    if (PyTuple_GET_SIZE(layout) != count) goto malformed;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t theirs = PyLong_AsSsize_t(PyTuple_GET_ITEM(layout, i));
        if (theirs == -1 && PyErr_Occurred()) return NULL;
        if (theirs != expected[i]) {
            PyErr_Format(PyExc_ValueError, "wasmtime lays its values out otherwise (measure "
                         "%zd: %zd there, %zd here)", i, theirs, expected[i]);
            return NULL;
        }
    }
    if (PyTuple_GET_SIZE(layout) != count || PyTuple_GET_SIZE(kinds) != N_TYPES ||
        PyTuple_GET_SIZE(functions) != 4 || PyTuple_GET_SIZE(objects) != 5)
        goto malformed;
    for (int i = 0; i < N_TYPES; i++) {
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(kinds, i));
        if (kind < 0 || kind > 255) goto malformed;
        KIND[i] = (uint8_t)kind;
    }
    /* functions: wasmtime_component_func_call, wasmtime_component_val_delete,
     * wasmtime_context_set_epoch_deadline (or 0), zc_ticker_arm (or 0) */
    void *addresses[4];
    for (int i = 0; i < 4; i++) {
        PyObject *item = PyTuple_GET_ITEM(functions, i);
        addresses[i] = item == Py_None ? NULL : PyLong_AsVoidPtr(item);
        if (PyErr_Occurred()) return NULL;
    }
    if (addresses[0] == NULL || addresses[1] == NULL) goto malformed;
    func_call = (func_call_fn)addresses[0];
    val_delete = (val_delete_fn)addresses[1];
    set_deadline = (set_deadline_fn)addresses[2];
    ticker_arm = (ticker_arm_fn)addresses[3];
    /* objects: Variant, Mapping, json_text, (ConversionError, LiftError), raise_call_error */
    PyObject *errors = PyTuple_GET_ITEM(objects, 3);
    if (!PyTuple_Check(errors) || PyTuple_GET_SIZE(errors) != 2) goto malformed;
    Py_XSETREF(Variant, Py_NewRef(PyTuple_GET_ITEM(objects, 0)));
    Py_XSETREF(Mapping, Py_NewRef(PyTuple_GET_ITEM(objects, 1)));
    Py_XSETREF(json_text, Py_NewRef(PyTuple_GET_ITEM(objects, 2)));
    Py_XSETREF(ConversionError, Py_NewRef(PyTuple_GET_ITEM(errors, 0)));
    Py_XSETREF(LiftError, Py_NewRef(PyTuple_GET_ITEM(errors, 1)));
    Py_XSETREF(raise_call_error, Py_NewRef(PyTuple_GET_ITEM(objects, 4)));
    max_list_items = max_items;
    configured = true;
    Py_RETURN_NONE;
malformed:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "configure: malformed arguments");
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(layout, kinds, functions, objects, max_list_items): before any Codec"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "zeroclaw_fast_calls",
    "Component function calls in one C call (zeroclaw/plugins/wasm/native_calls.py).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_zeroclaw_fast_calls(void) {
    if (PyType_Ready(&CodecType) < 0 || PyType_Ready(&LoweredType) < 0) return NULL;
    str_tag = PyUnicode_InternFromString("tag");
    str_payload = PyUnicode_InternFromString("payload");
    str_handle = PyUnicode_InternFromString("_handle");
    str_ok = PyUnicode_InternFromString("ok");
    str_err = PyUnicode_InternFromString("err");
    if (!str_tag || !str_payload || !str_handle || !str_ok || !str_err) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "Codec", (PyObject *)&CodecType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
