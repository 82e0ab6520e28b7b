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

/* starts_r[r]..starts_r[r + 1] are the output rows of cell row r (h + 1 entries), starts_c likewise;
 * hi_r[r], hi_c[q] the cells' upper corners. best (h * w ints), safe (h * w bytes) and candidates (c
 * ints) are the caller's scratch buffers, so nothing is allocated per frame. */
void upsample_argmax(const float *scores, int h, int w, int c, const int32_t *starts_r, const int32_t *hi_r,
                     const float *keep_r, const float *frac_r, const int32_t *starts_c, const int32_t *hi_c,
                     const float *keep_c, const float *frac_c, int out_w, float tolerance, int *best,
                     uint8_t *safe, int *candidates, void *out, int wide) {
    float margin = 2.0f * tolerance;
    grid_best(scores, (long)h * w, c, margin, best, safe);
    for (int r = 0; r < h; r++) {
        int y0 = starts_r[r], y1 = starts_r[r + 1];
        if (y0 == y1) continue;
        for (int q = 0; q < w; q++) {
            int x0 = starts_c[q], x1 = starts_c[q + 1];
            if (x0 == x1) continue;
            long p00 = (long)r * w + q, p01 = (long)r * w + hi_c[q];
            long p10 = (long)hi_r[r] * w + q, p11 = (long)hi_r[r] * w + hi_c[q];
            int label = best[p00];
            if (best[p01] == label && best[p10] == label && best[p11] == label && safe[p00] && safe[p01] &&
                safe[p10] && safe[p11]) {
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) write_label(out, wide, (long)y * out_w + x, label);
                continue;
            }
            const float *a = scores + p00 * c, *b = scores + p01 * c, *d = scores + p10 * c, *e = scores + p11 * c;
            int count = cell_candidates(a, b, d, e, c, margin, candidates);
            score_cell(a, b, d, e, candidates, count, y0, y1, x0, x1, keep_r, frac_r, keep_c, frac_c, out_w, out,
                       wide);
        }
    }
}
