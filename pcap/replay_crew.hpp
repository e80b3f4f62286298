// ReplayCrew: the replay driver's worker threads, started once per replay and kept for
// every chunk (a chunk of 1,024 frames is far too short to start threads for). run(fn)
// calls fn(w) for w in [0, n): w = 0 on the calling thread, the others on the crew, and
// returns when all have finished, with the first exception's message ("" when none).
// Waiting spins briefly, then sleeps on the atomic (futex). Control: one caller thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace vpcfw {

class ReplayCrew {
public:
    explicit ReplayCrew(unsigned n) : n_(n), errors_(n) {
        for (unsigned w = 1; w < n; ++w) threads_.emplace_back([this, w] { loop(w); });
    }
    ~ReplayCrew() {
        stop_ = true;
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (auto& t : threads_) t.join();
    }
    ReplayCrew(const ReplayCrew&) = delete;
    ReplayCrew& operator=(const ReplayCrew&) = delete;

    template <typename Fn>
    std::string run(Fn&& fn) {
        job_ = std::ref(fn);
        if (n_ > 1) {
            pending_.store(n_ - 1, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
            generation_.notify_all();
        }
        guarded(0);
        if (n_ > 1) wait_until([&] { return pending_.load(std::memory_order_acquire) == 0; }, pending_, 0u);
        for (auto& e : errors_)
            if (!e.empty()) return e;
        return {};
    }

private:
    void guarded(unsigned w) {
        try {
            job_(w);
        } catch (const std::exception& e) {
            errors_[w] = e.what();
        }
    }
    // Spins a little (a chunk's phase is short), then sleeps until `a` changes from `seen`.
    template <typename Done, typename T>
    static void wait_until(Done done, std::atomic<T>& a, T) {
        for (int i = 0; i < 4096; ++i) {
            if (done()) return;
            __builtin_ia32_pause();
        }
        while (!done()) {
            T v = a.load(std::memory_order_acquire);
            if (done()) return;
            a.wait(v, std::memory_order_acquire);
        }
    }
    void loop(unsigned w) {
        uint64_t seen = 0;
        for (;;) {
            wait_until([&] { return generation_.load(std::memory_order_acquire) != seen; }, generation_, seen);
            seen = generation_.load(std::memory_order_acquire);
            if (stop_) return;
            guarded(w);
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_all();
        }
    }

    unsigned n_;
    std::vector<std::string> errors_;
    std::vector<std::thread> threads_;
    std::function<void(unsigned)> job_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<unsigned> pending_{0};
    std::atomic<bool> stop_{false};
};

} // namespace vpcfw
