// C++ exceptions across preloaded threads: every worker throws through
// frames with destructors and catches, many times; some exceptions leave a
// thread as std::exception_ptr and are rethrown and caught in main; a
// std::thread that cannot be created throws std::system_error. Meanwhile
// main raises the dump signal. Prints "caught <n> destroyed <m>" and exits
// 0 only if every exception was caught where it should have been.
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static std::atomic<long> caught{0}, destroyed{0}, constructed{0};

struct Guard {
    Guard()
    {
        constructed++;
    }
    ~Guard()
    {
        destroyed++;
    }
};

struct Oops : std::runtime_error {
    int depth;
    Oops(int d) : std::runtime_error("oops " + std::to_string(d)), depth(d) {}
};

__attribute__((noinline)) static int thrower(int depth)
{
    Guard g;
    if (depth == 0)
        throw Oops(depth);
    return thrower(depth - 1) + 1;
}

static std::mutex m;
static std::condition_variable cv;
static int ready_workers;

static void worker(int id, int rounds, std::exception_ptr *out)
{
    {
        std::lock_guard<std::mutex> l(m);
        ready_workers++;
    }
    cv.notify_all();
    for (int i = 0; i < rounds; i++) {
        try {
            thrower(8 + (i % 5));
        } catch (const Oops &e) {
            caught++;
        }
        if (i % 97 == 0)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    try {
        thrower(id);
    } catch (...) {
        *out = std::current_exception();
    }
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? std::atoi(argv[1]) : 8;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 2000;
    std::vector<std::exception_ptr> errs(threads);
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; i++)
        ts.emplace_back(worker, i, rounds, &errs[i]);
    {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return ready_workers == threads; });
    }
    for (int i = 0; i < 3; i++) {
        std::raise(SIGUSR1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto &t : ts)
        t.join();
    long rethrown = 0;
    for (int i = 0; i < threads; i++) {
        try {
            if (errs[i])
                std::rethrow_exception(errs[i]);
        } catch (const Oops &e) {
            if (e.depth == 0)
                rethrown++;
        }
    }
    long expect = (long)threads * rounds;
    bool ok = caught == expect && rethrown == threads && destroyed == constructed;
    std::printf("caught %ld rethrown %ld destroyed %ld constructed %ld\n", caught.load(), rethrown,
                destroyed.load(), constructed.load());
    return ok ? 0 : 1;
}
