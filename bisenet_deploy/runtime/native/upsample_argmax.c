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
 * any class, minus 2 * tolerance.
 *
 * Cells are visited in output order: rows y0..y1 with lo_r == r, columns x0..x1 with lo_c == q.
 */

#include <math.h>
#include <pthread.h>
#include <stdint.h>

static void write_label(void *out, int wide, long index, int label) {
    if (wide)
        ((uint16_t *)out)[index] = (uint16_t)label;
    else
        ((uint8_t *)out)[index] = (uint8_t)label;
}

/* Best class (first on ties) and whether it leads the runner-up by more than `margin`. */
static void grid_best(const float *scores, long points, int c, float margin, int *best, uint8_t *safe) {
    for (long p = 0; p < points; p++) {
        const float *s = scores + p * c;
        int b = 0;
        for (int k = 1; k < c; k++)
            if (s[k] > s[b]) b = k;
        float second = -INFINITY;
        for (int k = 0; k < c; k++)
            if (k != b && s[k] > second) second = s[k];
        best[p] = b;
        safe[p] = c == 1 || s[b] - second > margin;
    }
}

/* The classes that can win somewhere in the cell with these corner score vectors; returns how many. */
static int cell_candidates(const float *a, const float *b, const float *d, const float *e, int c, float margin,
                           int *candidates) {
    float floor_max = -INFINITY;
    for (int k = 0; k < c; k++) {
        float low = a[k] < b[k] ? a[k] : b[k];
        float low2 = d[k] < e[k] ? d[k] : e[k];
        low = low < low2 ? low : low2;
        if (low > floor_max) floor_max = low;
    }
    int count = 0;
    for (int k = 0; k < c; k++) {
        float high = a[k] > b[k] ? a[k] : b[k];
        float high2 = d[k] > e[k] ? d[k] : e[k];
        high = high > high2 ? high : high2;
        if (high >= floor_max - margin) candidates[count++] = k;
    }
    return count;
}

static void score_cell(const float *a, const float *b, const float *d, const float *e, const int *candidates,
                       int count, int y0, int y1, int x0, int x1, const float *keep_r, const float *frac_r,
                       const float *keep_c, const float *frac_c, long width, void *out, int wide) {
    for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
            int label = candidates[0];
            float best = 0.0f;
            for (int i = 0; i < count; i++) {
                int k = candidates[i];
                float top = a[k] * keep_c[x] + b[k] * frac_c[x];
                float bottom = d[k] * keep_c[x] + e[k] * frac_c[x];
                float score = top * keep_r[y] + bottom * frac_r[y];
                if (i == 0 || score > best) {
                    best = score;
                    label = k;
                }
            }
            write_label(out, wide, (long)y * width + x, label);
        }
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
    const uint8_t *safe;
    int *candidates; /* c ints of this job's own */
    void *out;
    int wide;
    int r0, r1; /* the cell rows of this job */
} Job;

static void run_rows(const Job *j) {
    const int w = j->w, c = j->c;
    for (int r = j->r0; r < j->r1; r++) {
        int y0 = j->starts_r[r], y1 = j->starts_r[r + 1];
        if (y0 == y1) continue;
        for (int q = 0; q < w; q++) {
            int x0 = j->starts_c[q], x1 = j->starts_c[q + 1];
            if (x0 == x1) continue;
            long p00 = (long)r * w + q, p01 = (long)r * w + j->hi_c[q];
            long p10 = (long)j->hi_r[r] * w + q, p11 = (long)j->hi_r[r] * w + j->hi_c[q];
            int label = j->best[p00];
            if (j->best[p01] == label && j->best[p10] == label && j->best[p11] == label && j->safe[p00] &&
                j->safe[p01] && j->safe[p10] && j->safe[p11]) {
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) write_label(j->out, j->wide, (long)y * j->out_w + x, label);
                continue;
            }
            const float *a = j->scores + p00 * c, *b = j->scores + p01 * c;
            const float *d = j->scores + p10 * c, *e = j->scores + p11 * c;
            int count = cell_candidates(a, b, d, e, c, j->margin, j->candidates);
            score_cell(a, b, d, e, j->candidates, count, y0, y1, x0, x1, j->keep_r, j->frac_r, j->keep_c,
                       j->frac_c, j->out_w, j->out, j->wide);
        }
    }
}

static void *run_rows_thread(void *job) {
    run_rows((const Job *)job);
    return NULL;
}

#define MAX_THREADS 8

/* starts_r[r]..starts_r[r + 1] are the output rows of cell row r (h + 1 entries), starts_c likewise;
 * hi_r[r], hi_c[q] the cells' upper corners. best (h * w ints), safe (h * w bytes) and candidates
 * (threads * c ints) are the caller's scratch buffers, so nothing is allocated per frame. The cell rows
 * are split between `threads` threads (each writes only its own output rows); a thread that cannot be
 * started leaves its rows to the calling thread. */
void upsample_argmax(const float *scores, int h, int w, int c, const int32_t *starts_r, const int32_t *hi_r,
                     const float *keep_r, const float *frac_r, const int32_t *starts_c, const int32_t *hi_c,
                     const float *keep_c, const float *frac_c, int out_w, float tolerance, int *best,
                     uint8_t *safe, int *candidates, int threads, void *out, int wide) {
    float margin = 2.0f * tolerance;
    grid_best(scores, (long)h * w, c, margin, best, safe);
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > h) threads = h;
    Job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
        Job job = {scores, h, w, c, starts_r, hi_r, starts_c, hi_c, keep_r, frac_r, keep_c, frac_c, out_w, margin,
                   best, safe, candidates + (long)t * c, out, wide, h * t / threads, h * (t + 1) / threads};
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
}
