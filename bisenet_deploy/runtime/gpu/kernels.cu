// GPU pre- and postprocessing for bisenet-deploy, compiled at run time (pycuda SourceModule with
// no_extern_c=True on the Jetson, CuPy RawModule in tests). Targets sm_62 / CUDA 10.2: nothing newer.
//
// Every per-pixel computation is a __host__ __device__ function, so tests/gpu/host_harness.cu runs
// the very same code on the CPU and compares it with the numpy/OpenCV reference:
//   preprocess   = runtime/preprocess.py (cv2 INTER_LINEAR on float32, BGR->RGB, /255, mean/std)
//   postprocess  = runtime/postprocess.py labels_from_output (logits: bilinear + argmax; labels: nearest)
//   overlay      = runtime/overlay.py colorize + blend (cv2.addWeighted)
// Arithmetic is written one rounded step at a time (the *_rn helpers) in the reference's order, so
// the compiler cannot fuse a multiply and an add that the reference rounds separately.
//
// Resizes read precomputed "taps" (source indices and fraction per output column / row), made by
// the resize_taps kernel whenever a size changes: OpenCV's coordinates need double precision, which
// is slow on the TX2, and they are the same for every row (columns) or column (rows).

#include <cuda_fp16.h>

// ---------------------------------------------------------------------------------------------
// One rounding per operation, like numpy and OpenCV's scalar code. The host build must not
// contract either: tests compile the harness with -ffp-contract=off.
// ---------------------------------------------------------------------------------------------
__host__ __device__ inline float add_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

__host__ __device__ inline float sub_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, -b);  // negation is exact, so this is IEEE a - b; only long-standing intrinsics
#else
    return a - b;
#endif
}

__host__ __device__ inline float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

__host__ __device__ inline float div_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}

// a * b + c rounded once: what cv2.addWeighted's SIMD path (v_muladd) computes.
__host__ __device__ inline float fma_rn(float a, float b, float c) {
#ifdef __CUDA_ARCH__
    return __fmaf_rn(a, b, c);
#else
    return fmaf(a, b, c);
#endif
}

__host__ __device__ inline double dadd_rn(double a, double b) {
#ifdef __CUDA_ARCH__
    return __dadd_rn(a, b);
#else
    return a + b;
#endif
}

__host__ __device__ inline double dmul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
    return __dmul_rn(a, b);
#else
    return a * b;
#endif
}

__host__ __device__ inline double ddiv_rn(double a, double b) {
#ifdef __CUDA_ARCH__
    return __ddiv_rn(a, b);
#else
    return a / b;
#endif
}

__host__ __device__ inline int clamp_index(int i, int size) {
    return i < 0 ? 0 : (i >= size ? size - 1 : i);
}

// in[lo] * (1 - frac) + in[hi] * frac: the two-tap formula of both OpenCV and postprocess.py.
__host__ __device__ inline float lerp_rn(float lo, float hi, float frac) {
    return add_rn(mul_rn(lo, sub_rn(1.0f, frac)), mul_rn(hi, frac));
}

// ---------------------------------------------------------------------------------------------
// Taps: for each output index, the two source indices and the fraction of the second.
// ---------------------------------------------------------------------------------------------
struct Tap {
    int lo;
    int hi;
    float frac;
};

// Tap modes; kernel_source.py mirrors these numbers (a test checks them through the harness).
#define TAPS_CV_LINEAR_COLUMNS 0  // cv2 INTER_LINEAR, horizontal pass: fraction clamped at borders
#define TAPS_CV_LINEAR_ROWS 1     // cv2 INTER_LINEAR, vertical pass: rows clamped, fraction kept
#define TAPS_CV_NEAREST 2         // cv2 INTER_NEAREST
#define TAPS_TORCH_ALIGN_CORNERS 3  // postprocess.linear_taps(align_corners=True)
#define TAPS_TORCH_HALF_PIXEL 4     // postprocess.linear_taps(align_corners=False)

__host__ __device__ inline Tap make_tap(int lo, int hi, float frac) {
    Tap tap;
    tap.lo = lo;
    tap.hi = hi;
    tap.frac = frac;
    return tap;
}

// cv::resize: inv_scale = (double)dst / src, then scale = 1. / inv_scale (not src / dst).
__host__ __device__ inline double cv_scale(int src_size, int dst_size) {
    return ddiv_rn(1.0, ddiv_rn((double)dst_size, (double)src_size));
}

// OpenCV resize.cpp (INTER_LINEAR, float images): fx = (float)((dx + 0.5) * scale - 0.5),
// sx = floor(fx), fx -= sx. Columns: sx < 0 -> (0, fx = 0); sx >= w - 1 -> (w - 1, fx = 0), one tap.
// Rows: both source rows clamped into the image, the fraction untouched. cv2 runs an exact 2x
// downscale as INTER_AREA instead: the same 2x2 mean, and with integer pixels every step is exact.
__host__ __device__ inline Tap cv_linear_tap(int dst_index, int src_size, int dst_size, bool columns) {
    float f = (float)dadd_rn(dmul_rn((double)dst_index + 0.5, cv_scale(src_size, dst_size)), -0.5);
    int lo = (int)floorf(f);
    f = sub_rn(f, (float)lo);
    if (!columns) {
        return make_tap(clamp_index(lo, src_size), clamp_index(lo + 1, src_size), f);
    }
    if (lo < 0) {
        lo = 0;
        f = 0.0f;
    }
    if (lo >= src_size - 1) {  // in[w-1] * 1 + in[w-1] * 0 == in[w-1]: OpenCV's one-tap border
        lo = src_size - 1;
        f = 0.0f;
    }
    return make_tap(lo, clamp_index(lo + 1, src_size), f);
}

// OpenCV resizeNN: sx = min(floor(dx * (1. / inv_scale)), w - 1).
__host__ __device__ inline Tap cv_nearest_tap(int dst_index, int src_size, int dst_size) {
    int i = (int)floor(dmul_rn((double)dst_index, cv_scale(src_size, dst_size)));
    i = i < src_size - 1 ? i : src_size - 1;
    return make_tap(i, i, 0.0f);
}

// postprocess.linear_taps: float32 source coordinates as PyTorch's CPU kernel computes them.
__host__ __device__ inline Tap torch_linear_tap(int dst_index, int src_size, int dst_size, bool align_corners) {
    float src;
    if (align_corners) {
        float scale = dst_size > 1 ? div_rn((float)(src_size - 1), (float)(dst_size - 1)) : 0.0f;
        src = mul_rn((float)dst_index, scale);
    } else {
        float scale = div_rn((float)src_size, (float)dst_size);
        src = sub_rn(mul_rn(add_rn((float)dst_index, 0.5f), scale), 0.5f);
        src = src > 0.0f ? src : 0.0f;
    }
    int lo = (int)src;  // src >= 0, so truncation is floor
    lo = lo < src_size - 1 ? lo : src_size - 1;
    int hi = lo + 1 < src_size - 1 ? lo + 1 : src_size - 1;
    return make_tap(lo, hi, sub_rn(src, (float)lo));
}

__host__ __device__ inline Tap resize_tap(int mode, int dst_index, int src_size, int dst_size) {
    switch (mode) {
        case TAPS_CV_LINEAR_COLUMNS: return cv_linear_tap(dst_index, src_size, dst_size, true);
        case TAPS_CV_LINEAR_ROWS: return cv_linear_tap(dst_index, src_size, dst_size, false);
        case TAPS_CV_NEAREST: return cv_nearest_tap(dst_index, src_size, dst_size);
        case TAPS_TORCH_ALIGN_CORNERS: return torch_linear_tap(dst_index, src_size, dst_size, true);
        default: return torch_linear_tap(dst_index, src_size, dst_size, false);
    }
}

// ---------------------------------------------------------------------------------------------
// Preprocessing: one output pixel, all three channels.
// ---------------------------------------------------------------------------------------------
struct Normalization {
    float mean[3];  // RGB order, as the model card stores them
    float std[3];
};

__host__ __device__ inline Normalization make_normalization(float m0, float m1, float m2, float s0, float s1,
                                                            float s2) {
    Normalization n;
    n.mean[0] = m0;
    n.mean[1] = m1;
    n.mean[2] = m2;
    n.std[0] = s0;
    n.std[1] = s1;
    n.std[2] = s2;
    return n;
}

// cv2.resize (horizontal pass, then vertical), BGR->RGB, /255, (x - mean) / std.
// `frame` is uint8 BGR HWC with `pitch` bytes per row; rgb_out gets the R, G, B values.
__host__ __device__ inline void preprocess_pixel(const unsigned char* frame, int pitch, Tap column, Tap row,
                                                 const Normalization& norm, float rgb_out[3]) {
    const unsigned char* top = frame + (long long)row.lo * pitch;
    const unsigned char* bottom = frame + (long long)row.hi * pitch;
    int left = column.lo * 3, right = column.hi * 3;
    for (int bgr = 0; bgr < 3; ++bgr) {
        float upper = lerp_rn((float)top[left + bgr], (float)top[right + bgr], column.frac);
        float lower = lerp_rn((float)bottom[left + bgr], (float)bottom[right + bgr], column.frac);
        float value = lerp_rn(upper, lower, row.frac);
        int rgb = 2 - bgr;
        rgb_out[rgb] = div_rn(sub_rn(div_rn(value, 255.0f), norm.mean[rgb]), norm.std[rgb]);
    }
}

// ---------------------------------------------------------------------------------------------
// Postprocessing: one output pixel's class.
// ---------------------------------------------------------------------------------------------
__host__ __device__ inline float load_score(const float* p) { return *p; }
__host__ __device__ inline float load_score(const __half* p) { return __half2float(*p); }

// numpy argmax over classes of the bilinearly upsampled scores: columns first, then rows (as
// postprocess.argmax_upsampled); the first maximum wins, and a NaN counts as the maximum.
template <typename T>
__host__ __device__ inline int logits_label(const T* logits, int classes, int height, int width, Tap column,
                                            Tap row) {
    long long plane = (long long)height * width;
    long long top = (long long)row.lo * width, bottom = (long long)row.hi * width;
    int best = 0;
    float best_score = 0.0f;
    for (int c = 0; c < classes; ++c) {
        const T* scores = logits + c * plane;
        float upper = lerp_rn(load_score(scores + top + column.lo), load_score(scores + top + column.hi), column.frac);
        float lower =
            lerp_rn(load_score(scores + bottom + column.lo), load_score(scores + bottom + column.hi), column.frac);
        float score = lerp_rn(upper, lower, row.frac);
        bool best_is_nan = best_score != best_score;
        if (c == 0 || (!best_is_nan && (score > best_score || score != score))) {
            best = c;
            best_score = score;
        }
    }
    return best;
}

// labels head: nearest resize of the network's int32 labels; the uint8 cast wraps like numpy's astype.
__host__ __device__ inline unsigned char label_map_label(const int* labels, int width, Tap column, Tap row) {
    return (unsigned char)labels[(long long)row.lo * width + column.lo];
}

// ---------------------------------------------------------------------------------------------
// Overlay: cv2.addWeighted(colour, alpha, frame, beta, 0) for one pixel. alpha and beta are the
// float32 values OpenCV converts its double arguments to. Its SIMD path computes
// fma(colour, alpha, frame * beta) and rounds half to even; labels without a colour get black.
// ---------------------------------------------------------------------------------------------
__host__ __device__ inline void blend_pixel(const unsigned char* frame_bgr, int label, const unsigned char* palette_bgr,
                                            int palette_size, float alpha, float beta, unsigned char* out_bgr) {
    for (int c = 0; c < 3; ++c) {
        float colour = label < palette_size ? (float)palette_bgr[label * 3 + c] : 0.0f;
        float value = rintf(fma_rn(colour, alpha, mul_rn((float)frame_bgr[c], beta)));
        out_bgr[c] = (unsigned char)(value < 0.0f ? 0.0f : (value > 255.0f ? 255.0f : value));
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels. 2-D ones take one thread per output pixel (x = column, y = row).
// ---------------------------------------------------------------------------------------------
__device__ inline bool pixel_index(int height, int width, int* x, int* y) {
    *x = blockIdx.x * blockDim.x + threadIdx.x;
    *y = blockIdx.y * blockDim.y + threadIdx.y;
    return *x < width && *y < height;
}

extern "C" __global__ void resize_taps(Tap* taps, int dst_size, int src_size, int mode) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < dst_size) {
        taps[i] = resize_tap(mode, i, src_size, dst_size);
    }
}

__device__ inline void store_input(float* out, long long i, float v) { out[i] = v; }
__device__ inline void store_input(__half* out, long long i, float v) { out[i] = __float2half_rn(v); }

template <typename T>
__device__ void preprocess(const unsigned char* frame, int pitch, const Tap* column_taps, const Tap* row_taps,
                           T* input, int height, int width, Normalization norm) {
    int x, y;
    if (!pixel_index(height, width, &x, &y)) {
        return;
    }
    float rgb[3];
    preprocess_pixel(frame, pitch, column_taps[x], row_taps[y], norm, rgb);
    long long plane = (long long)height * width, i = (long long)y * width + x;
    store_input(input, i, rgb[0]);
    store_input(input, plane + i, rgb[1]);
    store_input(input, 2 * plane + i, rgb[2]);
}

// frame (uint8 BGR, any size, `pitch` bytes a row) -> input (1, 3, height, width) NCHW.
extern "C" __global__ void preprocess_float32(const unsigned char* frame, int pitch, const Tap* column_taps,
                                              const Tap* row_taps, float* input, int height, int width, float m0,
                                              float m1, float m2, float s0, float s1, float s2) {
    preprocess<float>(frame, pitch, column_taps, row_taps, input, height, width,
                      make_normalization(m0, m1, m2, s0, s1, s2));
}

extern "C" __global__ void preprocess_float16(const unsigned char* frame, int pitch, const Tap* column_taps,
                                              const Tap* row_taps, __half* input, int height, int width, float m0,
                                              float m1, float m2, float s0, float s1, float s2) {
    preprocess<__half>(frame, pitch, column_taps, row_taps, input, height, width,
                       make_normalization(m0, m1, m2, s0, s1, s2));
}

// Writes the label and, when `overlay` is not null, the blended pixel (both height x width, packed).
__device__ inline void store_label(unsigned char label, int x, int y, int width, unsigned char* labels,
                                   const unsigned char* frame, int pitch, const unsigned char* palette,
                                   int palette_size, float alpha, float beta, unsigned char* overlay) {
    long long i = (long long)y * width + x;
    labels[i] = label;
    if (overlay != 0) {
        blend_pixel(frame + (long long)y * pitch + x * 3, label, palette, palette_size, alpha, beta, overlay + 3 * i);
    }
}

template <typename T>
__device__ void labels_from_logits(const T* logits, int classes, int in_height, int in_width, const Tap* column_taps,
                                   const Tap* row_taps, unsigned char* labels, int height, int width,
                                   const unsigned char* frame, int pitch, const unsigned char* palette,
                                   int palette_size, float alpha, float beta, unsigned char* overlay) {
    int x, y;
    if (!pixel_index(height, width, &x, &y)) {
        return;
    }
    int label = logits_label(logits, classes, in_height, in_width, column_taps[x], row_taps[y]);
    store_label((unsigned char)label, x, y, width, labels, frame, pitch, palette, palette_size, alpha, beta, overlay);
}

// logits (classes, in_height, in_width) -> labels (height, width) [+ overlay].
extern "C" __global__ void labels_from_logits_float32(const float* logits, int classes, int in_height, int in_width,
                                                      const Tap* column_taps, const Tap* row_taps,
                                                      unsigned char* labels, int height, int width,
                                                      const unsigned char* frame, int pitch,
                                                      const unsigned char* palette, int palette_size, float alpha,
                                                      float beta, unsigned char* overlay) {
    labels_from_logits<float>(logits, classes, in_height, in_width, column_taps, row_taps, labels, height, width,
                              frame, pitch, palette, palette_size, alpha, beta, overlay);
}

extern "C" __global__ void labels_from_logits_float16(const __half* logits, int classes, int in_height, int in_width,
                                                      const Tap* column_taps, const Tap* row_taps,
                                                      unsigned char* labels, int height, int width,
                                                      const unsigned char* frame, int pitch,
                                                      const unsigned char* palette, int palette_size, float alpha,
                                                      float beta, unsigned char* overlay) {
    labels_from_logits<__half>(logits, classes, in_height, in_width, column_taps, row_taps, labels, height, width,
                               frame, pitch, palette, palette_size, alpha, beta, overlay);
}

// int32 labels (in_height, in_width) -> labels (height, width) by nearest resize [+ overlay].
extern "C" __global__ void labels_from_label_map(const int* label_map, int in_height, int in_width,
                                                 const Tap* column_taps, const Tap* row_taps, unsigned char* labels,
                                                 int height, int width, const unsigned char* frame, int pitch,
                                                 const unsigned char* palette, int palette_size, float alpha,
                                                 float beta, unsigned char* overlay) {
    int x, y;
    if (!pixel_index(height, width, &x, &y)) {
        return;
    }
    unsigned char label = label_map_label(label_map, in_width, column_taps[x], row_taps[y]);
    store_label(label, x, y, width, labels, frame, pitch, palette, palette_size, alpha, beta, overlay);
}

// labels (height, width) + frame -> overlay (height, width, 3), for labels made elsewhere.
extern "C" __global__ void overlay_labels(const unsigned char* labels, int height, int width,
                                          const unsigned char* frame, int pitch, const unsigned char* palette,
                                          int palette_size, float alpha, float beta, unsigned char* overlay) {
    int x, y;
    if (!pixel_index(height, width, &x, &y)) {
        return;
    }
    long long i = (long long)y * width + x;
    blend_pixel(frame + (long long)y * pitch + x * 3, labels[i], palette, palette_size, alpha, beta, overlay + 3 * i);
}
