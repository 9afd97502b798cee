// Eigen sgemm throughput (row R of tools/bench/run.sh).
//
// Usage: sgemm [N] [min_seconds]
// Multiplies two N x N float matrices (C = A * B, column-major Eigen::MatrixXf) repeatedly for at
// least min_seconds after one warm-up product, and prints the best single-product GFLOP/s as
// "gflops <value>" plus the thread count Eigen used. FLOPs per product = 2 N^3.
// Built by run.sh with the project's Release flags (-O3 -march=native -DNDEBUG), no -fopenmp, so
// Eigen is single-threaded; run.sh runs two processes concurrently for the 2-thread figure.
#include <Eigen/Dense>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 2048;
    const double minSeconds = argc > 2 ? std::atof(argv[2]) : 2.0;
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf c(n, n);
    using clock = std::chrono::steady_clock;
    c.noalias() = a * b;  // warm-up: page in, pack buffers
    double best = 1e30, total = 0;
    int reps = 0;
    while (total < minSeconds || reps < 3) {
        const auto t0 = clock::now();
        c.noalias() = a * b;
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        best = s < best ? s : best;
        total += s;
        ++reps;
        a(0, 0) += c(n - 1, n - 1) * 1e-12f;  // keep the product live
    }
    const double flops = 2.0 * n * double(n) * n;
    std::printf("n %d reps %d threads %d\n", n, reps, Eigen::nbThreads());
    std::printf("gflops_best %.3f\n", flops / best / 1e9);
    std::printf("gflops_mean %.3f\n", flops * reps / total / 1e9);
    std::printf("checksum %g\n", double(c.sum()));
    return 0;
}
