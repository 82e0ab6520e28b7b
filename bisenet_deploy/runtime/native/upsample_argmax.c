/* Labels at the frame's size from low-resolution class scores: label_upsample.py's algorithm in C.
 *
 * scores: h x w x c float32 (classes contiguous). Output pixel (y, x) lies in cell (lo_r[y], lo_c[x]),
 * whose corners are rows lo_r[y], hi_r[y] and columns lo_c[x], hi_c[x]; its score of class k is the
 * reference's (runtime/postprocess.py) arithmetic, in its order:
 *     top    = s[lo_r][lo_c] * keep_c[x] + s[lo_r][hi_c] * frac_c[x]      (the columns pass)
 *     bottom = s[hi_r][lo_c] * keep_c[x] + s[hi_r][hi_c] * frac_c[x]
 *     score  = top * keep_r[y] + bottom * frac_r[y]                        (then the rows pass)
 * Built with -ffp-contract=off, so every product and sum is rounded as numpy rounds it, and the
 * labels equal the reference's bit for bit. A cell whose corners all have the same best class, each
 * ahead of the runner-up by more than 2 * tolerance (a bound on what rounding can move a score), gives
 * that class to all its pixels; in the others only the classes that can win somewhere in the cell are
 * scored: class k cannot where its largest corner score is below the largest smallest-corner score of
 * any class, minus 2 * tolerance. tolerance = rounding * the largest score magnitude.
 *
 * A boundary cell is scored one candidate class at a time over the whole cell (top and bottom depend
 * on the column only, so they are computed once per column), into a per-thread tile of best scores
 * and classes; ascending classes and a strict comparison keep the first best, numpy's argmax rule.
 */

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Best class (first on ties) and its lead over the runner-up at every grid point; the largest score
 * magnitude, or -1 when a score is NaN or infinite (the convex-hull argument then does not hold). */
static float grid_best(const float *scores, long points, int c, int *best, float *gap) {
    float largest = 0.0f;
    for (long p = 0; p < points; p++) {
        const float *s = scores + p * c;
        int b = 0;
        float top = s[0], second = -INFINITY;
        for (int k = 1; k < c; k++) {
            float v = s[k];
            if (v > top) {
                second = top;
                top = v;
                b = k;
            } else if (v > second) {
                second = v;
            }
        }
        for (int k = 0; k < c; k++) {
            float magnitude = fabsf(s[k]);
            if (!(magnitude <= 3.4028235e38f)) return -1.0f; /* NaN fails every comparison */
            if (magnitude > largest) largest = magnitude;
        }
        best[p] = b;
        gap[p] = c == 1 ? INFINITY : top - second;
    }
    return largest;
}

/* The classes that can win somewhere in the cell with these corner score vectors; returns how many. */
static int cell_candidates(const float *a, const float *b, const float *d, const float *e, int c, float margin,
                           int *candidates) {
    float floor_max = -INFINITY;
    for (int k = 0; k < c; k++) {
        float low = a[k] < b[k] ? a[k] : b[k], low2 = d[k] < e[k] ? d[k] : e[k];
        low = low < low2 ? low : low2;
        if (low > floor_max) floor_max = low;
    }
    int count = 0;
    for (int k = 0; k < c; k++) {
        float high = a[k] > b[k] ? a[k] : b[k], high2 = d[k] > e[k] ? d[k] : e[k];
        high = high > high2 ? high : high2;
        if (high >= floor_max - margin) candidates[count++] = k;
    }
    return count;
}

typedef struct {
    int *candidates;             /* c */
    float *top, *bottom;         /* the widest cell's columns */
    float *best_score;           /* the largest cell's pixels */
    int32_t *best_class;
} Tile;

static void write_row(void *out, int wide, long index, const int32_t *labels, int n) {
    if (wide) {
        uint16_t *row = (uint16_t *)out + index;
        for (int i = 0; i < n; i++) row[i] = (uint16_t)labels[i];
    } else {
        uint8_t *row = (uint8_t *)out + index;
        for (int i = 0; i < n; i++) row[i] = (uint8_t)labels[i];
    }
}

static void fill_row(void *out, int wide, long index, int label, int n) {
    if (wide) {
        uint16_t *row = (uint16_t *)out + index;
        for (int i = 0; i < n; i++) row[i] = (uint16_t)label;
    } else {
        memset((uint8_t *)out + index, label, (size_t)n);
    }
}

/* One row of a cell for candidate k: the first candidate sets the row, a later one takes the pixels
 * where it scores strictly higher (written branch-free, so the compiler vectorizes it). */
static void score_row(const float *restrict top, const float *restrict bottom, float kr, float fr, int k, int first,
                      int nx, float *restrict best, int32_t *restrict label) {
    if (first) {
        for (int x = 0; x < nx; x++) {
            best[x] = top[x] * kr + bottom[x] * fr;
            label[x] = k;
        }
        return;
    }
    for (int x = 0; x < nx; x++) {
        float score = top[x] * kr + bottom[x] * fr, held = best[x];
        int32_t better = -(int32_t)(score > held); /* all ones or zero: GCC vectorizes this form, not ?: */
        label[x] = (k & better) | (label[x] & ~better);
        best[x] = score > held ? score : held;
    }
}

static void score_cell(const float *a, const float *b, const float *d, const float *e, int count, int y0, int y1,
                       int x0, int x1, const float *keep_r, const float *frac_r, const float *keep_c,
                       const float *frac_c, const Tile *tile) {
    const int nx = x1 - x0, ny = y1 - y0;
    const float *kc = keep_c + x0, *fc = frac_c + x0;
    float *restrict top = tile->top, *restrict bottom = tile->bottom;
    for (int i = 0; i < count; i++) {
        const int k = tile->candidates[i];
        const float ak = a[k], bk = b[k], dk = d[k], ek = e[k];
        for (int x = 0; x < nx; x++) {
            top[x] = ak * kc[x] + bk * fc[x];
            bottom[x] = dk * kc[x] + ek * fc[x];
        }
        for (int y = 0; y < ny; y++)
            score_row(top, bottom, keep_r[y0 + y], frac_r[y0 + y], k, i == 0, nx, tile->best_score + (long)y * nx,
                      tile->best_class + (long)y * nx);
    }
}

typedef struct {
    const float *scores;
    int h, w, c;
    const int32_t *starts_r, *hi_r, *starts_c, *hi_c;
    const float *keep_r, *frac_r, *keep_c, *frac_c;
    int out_w;
    float margin;
    const int *best;
    const float *gap;
    Tile tile;
    void *out;
    int wide;
    int r0, r1; /* the cell rows of this job */
} Job;

static void run_rows(const Job *j) {
    const int w = j->w, c = j->c;
    const float margin = j->margin;
    for (int r = j->r0; r < j->r1; r++) {
        int y0 = j->starts_r[r], y1 = j->starts_r[r + 1];
        if (y0 == y1) continue;
        for (int q = 0; q < w; q++) {
            int x0 = j->starts_c[q], x1 = j->starts_c[q + 1];
            if (x0 == x1) continue;
            long p00 = (long)r * w + q, p01 = (long)r * w + j->hi_c[q];
            long p10 = (long)j->hi_r[r] * w + q, p11 = (long)j->hi_r[r] * w + j->hi_c[q];
            int label = j->best[p00];
            if (j->best[p01] == label && j->best[p10] == label && j->best[p11] == label && j->gap[p00] > margin &&
                j->gap[p01] > margin && j->gap[p10] > margin && j->gap[p11] > margin) {
                for (int y = y0; y < y1; y++) fill_row(j->out, j->wide, (long)y * j->out_w + x0, label, x1 - x0);
                continue;
            }
            const float *a = j->scores + p00 * c, *b = j->scores + p01 * c;
            const float *d = j->scores + p10 * c, *e = j->scores + p11 * c;
            int count = cell_candidates(a, b, d, e, c, margin, j->tile.candidates);
            score_cell(a, b, d, e, count, y0, y1, x0, x1, j->keep_r, j->frac_r, j->keep_c, j->frac_c, &j->tile);
            for (int y = y0; y < y1; y++)
                write_row(j->out, j->wide, (long)y * j->out_w + x0, j->tile.best_class + (long)(y - y0) * (x1 - x0),
                          x1 - x0);
        }
    }
}

static void *run_rows_thread(void *job) {
    run_rows((const Job *)job);
    return NULL;
}

#define MAX_THREADS 8

/* n 4-byte elements rounded up to whole 64-byte cache lines */
static long padded(long n) { return (n + 15) / 16 * 16; }

/* starts_r[r]..starts_r[r + 1] are the output rows of cell row r (h + 1 entries), starts_c likewise;
 * hi_r[r], hi_c[q] the cells' upper corners; cell_h, cell_w the tallest and widest cell. best (h * w
 * ints), gap (h * w floats), candidates (threads * padded(c) ints), columns (threads *
 * padded(2 * cell_w) floats), tile_scores (threads * padded(cell_h * cell_w) floats) and tile_classes
 * (as many ints) are the caller's 64-byte aligned scratch buffers, so nothing is allocated per frame. The cell rows are split between `threads`
 * threads (each writes only its own output rows); a thread that cannot be started leaves its rows to
 * the calling thread. Returns 0, or -1 (nothing written) when a score is NaN or infinite. */
int upsample_argmax(const float *scores, int h, int w, int c, const int32_t *starts_r, const int32_t *hi_r,
                    const float *keep_r, const float *frac_r, const int32_t *starts_c, const int32_t *hi_c,
                    const float *keep_c, const float *frac_c, int out_w, int cell_h, int cell_w, float rounding,
                    int *best, float *gap, int *candidates, float *columns, float *tile_scores, int32_t *tile_classes,
                    int threads, void *out, int wide) {
    float largest = grid_best(scores, (long)h * w, c, best, gap);
    if (largest < 0.0f) return -1;
    float margin = 2.0f * (rounding * (largest > 1e-30f ? largest : 1e-30f));
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > h) threads = h;
    Job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    /* each thread's scratch starts on its own 64-byte line: threads writing one line slow each other */
    const long own_c = padded(c), own_columns = padded(2L * cell_w), own_tile = padded((long)cell_h * cell_w);
    for (int t = 0; t < threads; t++) {
        Tile own = {candidates + t * own_c, columns + t * own_columns, columns + t * own_columns + cell_w,
                    tile_scores + t * own_tile, tile_classes + t * own_tile};
        Job job = {scores, h, w, c, starts_r, hi_r, starts_c, hi_c, keep_r, frac_r, keep_c, frac_c, out_w, margin,
                   best, gap, own, out, wide, h * t / threads, h * (t + 1) / threads};
        jobs[t] = job;
    }
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], NULL, run_rows_thread, &jobs[t]) == 0;
    run_rows(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run_rows(&jobs[t]);
    }
    return 0;
}
