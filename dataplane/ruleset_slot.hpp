// RulesetSlot: where live workers find the current CompiledRuleset, and how the control
// thread replaces it. Publication is one atomic pointer store; reclamation waits until
// every registered worker has reported a quiescent state (DPDK RCU QSBR, rte_rcu_qsbr)
// after the store, so no worker can still be reading the old version when it is freed.
// Workers: register once, then per burst `current()` -> Pipeline::set_ruleset when it
// changed -> process -> `quiescent()`. Control thread: `publish()` (serialised inside).
// Worker calls are wait-free and allocation-free; publish() blocks until quiescence.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "dataplane/compiled.hpp"

struct rte_rcu_qsbr;

namespace vpcfw {

class RulesetSlot {
public:
    explicit RulesetSlot(unsigned max_workers);
    ~RulesetSlot();
    RulesetSlot(const RulesetSlot&) = delete;
    RulesetSlot& operator=(const RulesetSlot&) = delete;

    // ---- workers (thread `id` < max_workers) --------------------------------------------
    void register_worker(unsigned id);        // and goes online
    void unregister_worker(unsigned id);      // goes offline first
    // Readers call this between bursts: they hold no reference to an older version.
    void quiescent(unsigned id);
    // The version to use for the next burst (acquire load).
    const CompiledRuleset* current() const { return current_.load(std::memory_order_acquire); }

    // ---- control thread -----------------------------------------------------------------
    struct PublishStats {
        double swap_to_quiescent_ms = 0;      // until every worker passed the new version
    };
    // Makes `next` current and frees the previous version once every registered, online
    // worker has passed a quiescent state. Returns when the old version is released.
    PublishStats publish(std::shared_ptr<const CompiledRuleset> next);
    std::shared_ptr<const CompiledRuleset> current_shared() const;

private:
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::atomic<const CompiledRuleset*> current_{nullptr};
    std::shared_ptr<const CompiledRuleset> owner_;   // keeps current_ alive
    mutable std::mutex control_;                     // publish / current_shared (cold)
};

} // namespace vpcfw
