// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, header in /usr/include/<triplet>/cblas.h).
// OpenBLAS picks its kernels for the CPU at run time (DYNAMIC_ARCH), so one binary is fast on AVX2/AVX-512
// machines and still correct on older x86-64 ones.
#include <cblas.h>
