/* A camera frame to the network's input in one pass: frames.FrameInput's work in C.
 *
 * src: h x w x 3 uint8 BGR rows `src_stride` bytes apart. The resize is OpenCV's float INTER_LINEAR
 * (core/preprocess.py's reference, IPP off), with its taps computed by frame_input.py as OpenCV
 * computes them: every output row is r0 * (1 - fy) + r1 * fy of two horizontally resized source rows,
 * each of them s[lo] * (1 - fx) + s[hi] * fx per channel, in float32 and in that order (built with
 * -ffp-contract=off: no fused multiply-adds, as in OpenCV's own build). The colour swap moves values
 * only, so it is done while reading. Out, by `normalized`:
 *   0: 1 x H x W x 3 float32 RGB, the resized values (OpenVINO's graph does the rest);
 *   1: 1 x 3 x H x W float32, ((v / 255) - mean[c]) / std[c]: the reference's whole preprocessing.
 * A source row is resized horizontally once and kept while the output rows use it (two slots).
 */

#include <stdint.h>

/* One source row resized: its pixels to float first (a vectorized pass), then two taps per output
 * pixel, read in RGB order. */
static void resize_row(const uint8_t *src, int src_w, const int32_t *col_lo, const int32_t *col_hi,
                       const float *col_keep, const float *col_frac, int dst_w, float *pixels, float *row) {
    for (int i = 0; i < src_w * 3; i++) pixels[i] = (float)src[i];
    for (int x = 0; x < dst_w; x++) {
        const float *lo = pixels + 3 * col_lo[x], *hi = pixels + 3 * col_hi[x];
        const float keep = col_keep[x], frac = col_frac[x];
        row[3 * x] = lo[2] * keep + hi[2] * frac;
        row[3 * x + 1] = lo[1] * keep + hi[1] * frac;
        row[3 * x + 2] = lo[0] * keep + hi[0] * frac;
    }
}

typedef struct {
    const uint8_t *src;
    long stride;
    int src_w, dst_w;
    const int32_t *col_lo, *col_hi;
    const float *col_keep, *col_frac;
    float *pixels, *slots;
    int tags[2];
} Rows;

/* The slot holding source row `wanted`, resized now unless it already is; `other` is the row the
 * caller also needs, whose slot must survive. */
static const float *source_row(Rows *rows, int wanted, int other) {
    const long size = (long)rows->dst_w * 3;
    for (int s = 0; s < 2; s++)
        if (rows->tags[s] == wanted) return rows->slots + s * size;
    int s = rows->tags[0] == other ? 1 : 0;
    resize_row(rows->src + wanted * rows->stride, rows->src_w, rows->col_lo, rows->col_hi, rows->col_keep,
               rows->col_frac, rows->dst_w, rows->pixels, rows->slots + s * size);
    rows->tags[s] = wanted;
    return rows->slots + s * size;
}

/* Taps per output row and column: source indices lo and hi, weights keep (1 - frac, as OpenCV
 * computes it) and frac. pixels (src_w * 3 floats) and slots (2 * dst_w * 3) are the caller's
 * scratch, so nothing is allocated per frame. */
void frame_input(const uint8_t *src, long src_stride, int src_w, const int32_t *row_lo, const int32_t *row_hi,
                 const float *row_keep, const float *row_frac, int dst_h, const int32_t *col_lo,
                 const int32_t *col_hi, const float *col_keep, const float *col_frac, int dst_w, float *pixels, float *slots, int normalized, const float *mean, const float *std,
                 float *dst) {
    Rows rows = {src, src_stride, src_w, dst_w, col_lo, col_hi, col_keep, col_frac, pixels, slots, {-1, -1}};
    const long plane = (long)dst_h * dst_w;
    for (int y = 0; y < dst_h; y++) {
        const float *r0 = source_row(&rows, row_lo[y], row_hi[y]);
        const float *r1 = source_row(&rows, row_hi[y], row_lo[y]);
        const float keep = row_keep[y], frac = row_frac[y];
        if (!normalized) {
            float *out = dst + (long)y * dst_w * 3;
            for (int i = 0; i < dst_w * 3; i++) out[i] = r0[i] * keep + r1[i] * frac;
            continue;
        }
        for (int c = 0; c < 3; c++) {
            float *out = dst + c * plane + (long)y * dst_w;
            const float m = mean[c], s = std[c];
            for (int x = 0; x < dst_w; x++) {
                float v = r0[3 * x + c] * keep + r1[3 * x + c] * frac;
                out[x] = (v / 255.0f - m) / s;
            }
        }
    }
}
