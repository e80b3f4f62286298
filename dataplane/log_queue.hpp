// LogQueue: the decision records a live-run worker hands to the control thread (for the
// decisions file, flow logs and the capture): a fixed ring of LogRecords, single producer
// (the worker, hot: reserve/commit never allocate or wait; a full queue returns nullptr
// and the worker counts `log_dropped`), single consumer (the control thread: front/pop).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/flow_key.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/verdict.hpp"

namespace vpcfw {

inline constexpr uint32_t kLogSnap = 1600;   // frame bytes kept per record

struct LogRecord {
    uint64_t version = 0;          // ruleset version of the verdict (its Names)
    double ts = 0;
    uint32_t caplen = 0;           // bytes in frame[]
    uint32_t wirelen = 0;
    uint16_t in_port = 0;          // port index
    int16_t out_port = -1;
    ParseReason reason = ParseReason::Ok;
    FlowKey key;
    Verdict verdict;
    uint8_t frame[kLogSnap];
};

class LogQueue {
public:
    explicit LogQueue(uint32_t capacity_pow2) : slots_(new LogRecord[capacity_pow2]), mask_(capacity_pow2 - 1) {}

    // Worker: a slot to fill, nullptr when full.
    LogRecord* reserve() {
        uint64_t h = head_.load(std::memory_order_relaxed);
        if (h - tail_.load(std::memory_order_acquire) > mask_) return nullptr;
        return &slots_[h & mask_];
    }
    // Worker: publishes the reserved slot.
    void commit() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

    // Control: the oldest record, nullptr when empty.
    const LogRecord* front() {
        uint64_t t = tail_.load(std::memory_order_relaxed);
        if (t == head_.load(std::memory_order_acquire)) return nullptr;
        return &slots_[t & mask_];
    }
    // Control: releases front().
    void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

private:
    std::unique_ptr<LogRecord[]> slots_;
    uint32_t mask_;
    alignas(64) std::atomic<uint64_t> head_{0};   // next to write
    alignas(64) std::atomic<uint64_t> tail_{0};   // next to read
};

} // namespace vpcfw
