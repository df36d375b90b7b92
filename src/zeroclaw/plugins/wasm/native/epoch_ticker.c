/* The epoch ticker as a native thread: it increments a wasmtime engine's epoch every
 * interval without ever taking Python's GIL (engine.py says why that matters).
 *
 * Built by scripts/install into libzeroclaw_ticker.so beside this file and loaded with
 * ctypes (native_ticker.py); without it, engine.py ticks from a Python thread. It is no
 * CPython extension: it sees no Python object, only the engine's address and wasmtime's
 * `wasmtime_engine_increment_epoch`, handed in by the caller.
 *
 * Same semantics as the Python ticker: ticks follow CLOCK_MONOTONIC (the clock of
 * Python's time.monotonic on Linux) and catch up after a late wake-up; `behind` says how
 * many ticks are due but not yet counted; the thread parks once the count passed every
 * deadline `hold` was told of, and `hold` wakes it, counting from the wake-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef void (*increment_fn)(const void *engine);
typedef void (*set_deadline_fn)(void *context, uint64_t ticks);

typedef struct {
    const void *engine;
    increment_fn increment;
    int64_t interval_ns;
    atomic_int stop;
    atomic_int parked;
    atomic_llong ticks;        /* ticks counted (the epoch is this or one more) */
    atomic_llong needed;       /* keep ticking until `ticks` reaches this */
    atomic_llong origin_ns;    /* the clock and count the current run counts from */
    atomic_llong origin_ticks;
    pthread_mutex_t lock;      /* around parking, so a `hold` cannot miss the wait */
    pthread_cond_t wake;
    pthread_t thread;
} zc_ticker;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t due(zc_ticker *t, int64_t now) {
    return atomic_load(&t->origin_ticks) + (now - atomic_load(&t->origin_ns)) / t->interval_ns;
}

static void park(zc_ticker *t) {
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->parked, 1);
    /* Re-read after `parked` is set: a `hold` that saw it unset stored `needed` first. */
    while (!atomic_load(&t->stop) && atomic_load(&t->ticks) >= atomic_load(&t->needed)) {
        pthread_cond_wait(&t->wake, &t->lock);
    }
    /* Count from the wake-up: no catch-up for the time parked. */
    atomic_store(&t->origin_ticks, atomic_load(&t->ticks));
    atomic_store(&t->origin_ns, now_ns());
    atomic_store(&t->parked, 0);
    pthread_mutex_unlock(&t->lock);
}

static void *run(void *arg) {
    zc_ticker *t = arg;
    while (!atomic_load(&t->stop)) {
        if (atomic_load(&t->ticks) >= atomic_load(&t->needed)) {
            park(t);
            continue;
        }
        int64_t count = atomic_load(&t->ticks) - atomic_load(&t->origin_ticks);
        int64_t next = atomic_load(&t->origin_ns) + (count + 1) * t->interval_ns;
        struct timespec at = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {
        }
        int64_t target = due(t, now_ns());
        while (atomic_load(&t->ticks) < target) {
            t->increment(t->engine);
            atomic_fetch_add(&t->ticks, 1);
        }
    }
    return NULL;
}

zc_ticker *zc_ticker_start(const void *engine, increment_fn increment, int64_t interval_ns,
                           int64_t ticks) {
    zc_ticker *t = calloc(1, sizeof *t);
    if (t == NULL || interval_ns <= 0) {
        free(t);
        return NULL;
    }
    t->engine = engine;
    t->increment = increment;
    t->interval_ns = interval_ns;
    atomic_store(&t->ticks, ticks);
    atomic_store(&t->needed, ticks);
    atomic_store(&t->origin_ticks, ticks);
    atomic_store(&t->origin_ns, now_ns());
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, run, t) != 0) {
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->wake);
        free(t);
        return NULL;
    }
    return t;
}

/* Keep ticking until the count has moved `ticks` past where it is (a deadline just set on a
 * store, counted from the epoch of that moment; +1: the epoch can be one ahead). */
void zc_ticker_hold(zc_ticker *t, int64_t ticks) {
    long long target = atomic_load(&t->ticks) + ticks + 1;
    long long seen = atomic_load(&t->needed);
    while (seen < target && !atomic_compare_exchange_weak(&t->needed, &seen, target)) {
    }
    if (atomic_load(&t->parked)) {
        pthread_mutex_lock(&t->lock);
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
    }
}

int64_t zc_ticker_ticks(zc_ticker *t) { return atomic_load(&t->ticks); }

int zc_ticker_parked(zc_ticker *t) { return atomic_load(&t->parked); }

/* Ticks the clock says are due but not yet counted; 0 while parked. */
int64_t zc_ticker_behind(zc_ticker *t) {
    if (atomic_load(&t->parked)) {
        return 0;
    }
    int64_t owed = due(t, now_ns()) - atomic_load(&t->ticks);
    return owed > 0 ? owed : 0;
}

/* Arm a store for a call, in one call where Python made three: its epoch deadline `ticks`
 * past the epoch now, plus the ticks the clock says are due but not yet counted (the
 * catch-up adds them to the epoch at once), set through wasmtime's
 * `wasmtime_context_set_epoch_deadline` on the store's context; then held as above. */
void zc_ticker_arm(zc_ticker *t, set_deadline_fn set_deadline, void *context, int64_t ticks) {
    int64_t total = ticks + zc_ticker_behind(t);
    set_deadline(context, (uint64_t)total);
    zc_ticker_hold(t, total);
}

/* Stop the thread, wait for it, free the ticker. The engine may be freed after this. */
void zc_ticker_stop(zc_ticker *t) {
    atomic_store(&t->stop, 1);
    pthread_mutex_lock(&t->lock);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t);
}
