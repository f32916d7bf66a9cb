// C++ (libstdc++): std::thread threads, 5 blocked in
// std::condition_variable::wait, 3 in std::future::get (a futex wait), 2 in
// std::mutex::lock on a mutex main holds. The recognisable functions are
// extern "C" so their names are the same mangled or not.
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

static std::mutex cv_mutex;
static std::condition_variable cv;
static bool go = false;
static std::mutex held;
static std::vector<std::promise<int>> promises(3);

extern "C" void cpp_cv_waiter()
{
    std::unique_lock<std::mutex> lk(cv_mutex);
    cv.wait(lk, [] { return go; });
}

extern "C" void cpp_future_waiter(std::future<int> *f)
{
    std::printf("%d", f->get());
}

extern "C" void cpp_mutex_waiter()
{
    std::lock_guard<std::mutex> lk(held);
}

// Loop bounds the compiler cannot see: unrolled, each copy of a loop would
// be its own call site, and its threads a group of their own.
static volatile int runtime_one = 1;

extern "C" void spawn_cpp_threads()
{
    for (int i = 0; i < 5 * runtime_one; i++)
        std::thread(cpp_cv_waiter).detach();
    for (auto &p : promises)
        std::thread(cpp_future_waiter, new std::future<int>(p.get_future())).detach();
    for (int i = 0; i < 2 * runtime_one; i++)
        std::thread(cpp_mutex_waiter).detach();
}

int main()
{
    held.lock();
    spawn_cpp_threads();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::printf("cv %p\nready\n", static_cast<void *>(&cv));
    std::fflush(stdout);
    for (;;)
        pause();
}
