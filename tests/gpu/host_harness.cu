// Runs the package's kernels.cu per-pixel functions on the CPU, pixel by pixel, exactly as the
// kernels call them, so tests compare them with the numpy/OpenCV reference without a GPU.
// Inputs and outputs are raw binary files; sizes come on the command line.
// Build: nvcc -arch=sm_75 -Xcompiler -ffp-contract=off -I bisenet_deploy/runtime/gpu tests/gpu/host_harness.cu

#include "kernels.cu"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static std::vector<unsigned char> read_file(const char* path, size_t expected_bytes) {
    std::vector<unsigned char> data(expected_bytes);
    FILE* f = fopen(path, "rb");
    if (f == 0 || fread(data.data(), 1, expected_bytes, f) != expected_bytes) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", expected_bytes, path);
        exit(2);
    }
    fclose(f);
    return data;
}

static void write_file(const char* path, const void* data, size_t bytes) {
    FILE* f = fopen(path, "wb");
    if (f == 0 || fwrite(data, 1, bytes, f) != bytes) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

static int arg_int(const char* text) { return (int)strtol(text, 0, 10); }
static float arg_float(const char* text) { return strtof(text, 0); }  // accepts C99 hex floats: exact

static std::vector<Tap> taps(int mode, int src_size, int dst_size) {
    std::vector<Tap> out(dst_size);
    for (int i = 0; i < dst_size; ++i) {
        out[i] = resize_tap(mode, i, src_size, dst_size);
    }
    return out;
}

// info: the layout facts kernel_source.py must agree with.
static int info() {
    printf("tap_bytes %zu\n", sizeof(Tap));
    printf("TAPS_CV_LINEAR_COLUMNS %d\n", TAPS_CV_LINEAR_COLUMNS);
    printf("TAPS_CV_LINEAR_ROWS %d\n", TAPS_CV_LINEAR_ROWS);
    printf("TAPS_CV_NEAREST %d\n", TAPS_CV_NEAREST);
    printf("TAPS_TORCH_ALIGN_CORNERS %d\n", TAPS_TORCH_ALIGN_CORNERS);
    printf("TAPS_TORCH_HALF_PIXEL %d\n", TAPS_TORCH_HALF_PIXEL);
    return 0;
}

// taps MODE SRC DST OUT
static int write_taps(char** a) {
    std::vector<Tap> t = taps(arg_int(a[0]), arg_int(a[1]), arg_int(a[2]));
    write_file(a[3], t.data(), t.size() * sizeof(Tap));
    return 0;
}

// preprocess FRAME FRAME_H FRAME_W PITCH OUT_H OUT_W float32|float16 M0 M1 M2 S0 S1 S2 OUT
static int preprocess(char** a) {
    int frame_h = arg_int(a[1]), frame_w = arg_int(a[2]), pitch = arg_int(a[3]);
    int height = arg_int(a[4]), width = arg_int(a[5]);
    bool half = std::string(a[6]) == "float16";
    Normalization norm = make_normalization(arg_float(a[7]), arg_float(a[8]), arg_float(a[9]), arg_float(a[10]),
                                            arg_float(a[11]), arg_float(a[12]));
    std::vector<unsigned char> frame = read_file(a[0], (size_t)frame_h * pitch);
    std::vector<Tap> columns = taps(TAPS_CV_LINEAR_COLUMNS, frame_w, width);
    std::vector<Tap> rows = taps(TAPS_CV_LINEAR_ROWS, frame_h, height);
    size_t plane = (size_t)height * width;
    std::vector<float> out32(half ? 0 : 3 * plane);
    std::vector<__half> out16(half ? 3 * plane : 0);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            float rgb[3];
            preprocess_pixel(frame.data(), pitch, columns[x], rows[y], norm, rgb);
            for (int c = 0; c < 3; ++c) {
                size_t i = c * plane + (size_t)y * width + x;
                if (half) {
                    out16[i] = __float2half_rn(rgb[c]);
                } else {
                    out32[i] = rgb[c];
                }
            }
        }
    }
    if (half) {
        write_file(a[13], out16.data(), out16.size() * sizeof(__half));
    } else {
        write_file(a[13], out32.data(), out32.size() * sizeof(float));
    }
    return 0;
}

template <typename T>
static void argmax_all(const T* logits, int classes, int in_h, int in_w, int height, int width, bool align_corners,
                       unsigned char* labels) {
    int mode = align_corners ? TAPS_TORCH_ALIGN_CORNERS : TAPS_TORCH_HALF_PIXEL;
    std::vector<Tap> columns = taps(mode, in_w, width), rows = taps(mode, in_h, height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            int label = logits_label(logits, classes, in_h, in_w, columns[x], rows[y]);
            labels[(size_t)y * width + x] = (unsigned char)label;
        }
    }
}

// logits FILE float32|float16 CLASSES IN_H IN_W OUT_H OUT_W ALIGN_CORNERS(0|1) OUT
static int logits(char** a) {
    bool half = std::string(a[1]) == "float16";
    int classes = arg_int(a[2]), in_h = arg_int(a[3]), in_w = arg_int(a[4]);
    int height = arg_int(a[5]), width = arg_int(a[6]);
    bool align_corners = arg_int(a[7]) != 0;
    size_t count = (size_t)classes * in_h * in_w;
    std::vector<unsigned char> data = read_file(a[0], count * (half ? sizeof(__half) : sizeof(float)));
    std::vector<unsigned char> labels((size_t)height * width);
    if (half) {
        argmax_all((const __half*)data.data(), classes, in_h, in_w, height, width, align_corners, labels.data());
    } else {
        argmax_all((const float*)data.data(), classes, in_h, in_w, height, width, align_corners, labels.data());
    }
    write_file(a[8], labels.data(), labels.size());
    return 0;
}

// labelmap FILE IN_H IN_W OUT_H OUT_W OUT   (FILE: int32 labels)
static int label_map(char** a) {
    int in_h = arg_int(a[1]), in_w = arg_int(a[2]), height = arg_int(a[3]), width = arg_int(a[4]);
    std::vector<unsigned char> data = read_file(a[0], (size_t)in_h * in_w * sizeof(int));
    std::vector<Tap> columns = taps(TAPS_CV_NEAREST, in_w, width), rows = taps(TAPS_CV_NEAREST, in_h, height);
    std::vector<unsigned char> labels((size_t)height * width);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            labels[(size_t)y * width + x] = label_map_label((const int*)data.data(), in_w, columns[x], rows[y]);
        }
    }
    write_file(a[5], labels.data(), labels.size());
    return 0;
}

// overlay LABELS FRAME H W PITCH PALETTE PALETTE_SIZE ALPHA BETA OUT
static int overlay(char** a) {
    int height = arg_int(a[2]), width = arg_int(a[3]), pitch = arg_int(a[4]), palette_size = arg_int(a[6]);
    float alpha = arg_float(a[7]), beta = arg_float(a[8]);
    std::vector<unsigned char> labels = read_file(a[0], (size_t)height * width);
    std::vector<unsigned char> frame = read_file(a[1], (size_t)height * pitch);
    std::vector<unsigned char> palette = read_file(a[5], (size_t)palette_size * 3);
    std::vector<unsigned char> out((size_t)height * width * 3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            size_t i = (size_t)y * width + x;
            blend_pixel(frame.data() + (size_t)y * pitch + x * 3, labels[i], palette.data(), palette_size, alpha, beta,
                        out.data() + 3 * i);
        }
    }
    write_file(a[9], out.data(), out.size());
    return 0;
}

int main(int argc, char** argv) {
    struct Command {
        const char* name;
        int args;
        int (*run)(char**);
    };
    const Command commands[] = {{"taps", 4, write_taps}, {"preprocess", 14, preprocess}, {"logits", 9, logits},
                                {"labelmap", 6, label_map}, {"overlay", 10, overlay}};
    if (argc == 2 && std::string(argv[1]) == "info") {
        return info();
    }
    for (const Command& command : commands) {
        if (argc == command.args + 2 && std::string(argv[1]) == command.name) {
            return command.run(argv + 2);
        }
    }
    fprintf(stderr, "usage: host_harness info | taps | preprocess | logits | labelmap | overlay ARGS (see source)\n");
    return 2;
}
